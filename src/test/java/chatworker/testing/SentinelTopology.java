package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Sentinel-managed Redis on loopback: a master, two replicas and three sentinels that monitor it as
 * {@value #MASTER_NAME} (quorum 2, down after 1 s), each a real process on a free port. The data nodes
 * are append-only {@link RedisServer}s, so a killed node restarts with its data. {@link #start(Auth)}
 * makes the data nodes (and perhaps the sentinels) require a login; {@link #startWithTls()} runs every
 * process on TLS only, with one throwaway CA.
 *
 * <p>Each operation returns once the topology has settled as the sentinels leave it, so a test can
 * go on without waiting itself. Blocking: for the test thread, never a Vert.x event loop.
 */
public final class SentinelTopology implements AutoCloseable {

  /** The name the sentinels monitor the master under. */
  public static final String MASTER_NAME = "mymaster";

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  // Redis 7 syncs a new replica without disk after waiting 5 s for more replicas to come; do not wait.
  private static final RedisServer.Options DATA_NODE = RedisServer.Options.defaults().withAppendOnly(true)
      .withArg("repl-diskless-sync-delay", "0");

  private final List<RedisServer> dataNodes = new ArrayList<>();
  private final List<SentinelNode> sentinels = new ArrayList<>();
  /** How every data node runs: {@link #DATA_NODE}, with the credentials of {@link Auth} if any. */
  private final RedisServer.Options dataNode;
  /** The certificates every process shares ({@link TlsCertificates#generate}), or null without TLS. */
  private final Path tlsDir;

  private SentinelTopology(RedisServer.Options dataNode, Path tlsDir) {
    this.dataNode = dataNode;
    this.tlsDir = tlsDir;
  }

  /**
   * Who must log in where, for {@link #start(Auth)}. The data nodes require {@code password}, for the
   * default user ({@code requirepass}) or, with a {@code user}, for that ACL user (the default user
   * off); the replicas sync with it ({@code masteruser}/{@code masterauth}) and the sentinels monitor
   * with it ({@code sentinel auth-user}/{@code auth-pass}). The sentinels themselves take any client
   * unless {@code sentinelPassword} is set: then their {@code requirepass} is that password or, with a
   * {@code sentinelUser}, they also know that ACL user with that password (their default user stays
   * open, which is how the sentinels reach each other).
   */
  public record Auth(String user, String password, String sentinelUser, String sentinelPassword) {

    /** The data nodes require {@code password} ({@code requirepass}); the sentinels take any client. */
    public static Auth password(String password) {
      return new Auth(null, password, null, null);
    }

    /** The data nodes admit only the ACL user {@code user}; the sentinels take any client. */
    public static Auth aclUser(String user, String password) {
      return new Auth(user, password, null, null);
    }

    /** The same, and the sentinels require {@code sentinelPassword} ({@code requirepass}). */
    public Auth sentinelsRequire(String sentinelPassword) {
      return new Auth(user, password, null, sentinelPassword);
    }

    /** The same, and the sentinels know the data nodes' ACL user, with the same password. */
    public Auth sentinelsKnowTheUser() {
      return new Auth(user, password, user, password);
    }
  }

  /**
   * Starts the master, its two replicas and then the sentinels; returns once both replicas are in sync
   * and every sentinel knows the master, both replicas and the two other sentinels.
   */
  public static SentinelTopology start() {
    return start(null);
  }

  /**
   * Like {@link #start()}, with every data node and perhaps the sentinels requiring a login as
   * {@code auth} says (null: none). The data nodes' clients ({@link RedisServer#url()}) log in.
   */
  public static SentinelTopology start(Auth auth) {
    RedisServer.Options dataNode = auth == null ? DATA_NODE
        : auth.user() == null ? DATA_NODE.withPassword(auth.password()).withArg("masterauth", auth.password())
        : DATA_NODE.withAclUser(auth.user(), auth.password())
            .withArg("masteruser", auth.user()).withArg("masterauth", auth.password());
    return start(new SentinelTopology(dataNode, null), auth);
  }

  /**
   * Like {@link #start()}, with every data node and sentinel on TLS only ({@code port 0}), their
   * certificates signed by one throwaway CA ({@link #caCertPath()}): the replicas sync and the sentinels
   * reach the data nodes and each other over TLS ({@code tls-replication yes}), and the sentinels name
   * and announce TLS ports. {@link #sentinelUrls()} are {@code rediss://}. Needs
   * {@link RedisServer#tlsSupported()}.
   */
  public static SentinelTopology startWithTls() {
    Path tlsDir;
    try {
      tlsDir = Files.createTempDirectory("chatworker-sentinel-tls-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SentinelTopology topology =
        new SentinelTopology(DATA_NODE.withTls(tlsDir).withArg("tls-replication", "yes"), tlsDir);
    try {
      TlsCertificates.generate(tlsDir);
    } catch (RuntimeException | Error e) {
      topology.close();
      throw e;
    }
    return start(topology, null);
  }

  private static SentinelTopology start(SentinelTopology topology, Auth auth) {
    RedisServer.Options dataNode = topology.dataNode;
    try {
      RedisServer master = RedisServer.start(dataNode);
      topology.dataNodes.add(master);
      topology.dataNodes.add(RedisServer.start(topology.replicaOf(master)));
      topology.dataNodes.add(RedisServer.start(topology.replicaOf(master)));
      topology.awaitReplicasFollow(master);
      // Sentinels come last: their first INFO of the master then names both replicas (the next comes 10 s
      // later).
      List<String> config = new ArrayList<>(List.of(
          "sentinel monitor " + MASTER_NAME + " " + RedisServer.HOST + " " + master.port() + " 2",
          "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
          "sentinel failover-timeout " + MASTER_NAME + " 3000",
          "sentinel parallel-syncs " + MASTER_NAME + " 2"));
      config.addAll(sentinelAuthLines(auth));
      for (int i = 0; i < 3; i++) {
        topology.sentinels.add(auth == null ? SentinelNode.start(config, null, null, topology.tlsDir)
            : SentinelNode.start(config, auth.sentinelUser(), auth.sentinelPassword(), topology.tlsDir));
      }
      String expected = "address=" + RedisServer.HOST + ":" + master.port() + ",slaves=2,sentinels=3";
      Await.until(
          () -> topology.sentinels.stream().allMatch(s -> s.command("INFO", "sentinel").contains(expected)),
          TIMEOUT, "every sentinel to know the master, 2 replicas and 3 sentinels");
      return topology;
    } catch (RuntimeException | Error e) {
      topology.close();
      throw e;
    }
  }

  /**
   * The sentinels' URLs, comma-separated: {@code redis://127.0.0.1:p1,redis://127.0.0.1:p2,…}
   * ({@code rediss://} with {@link #startWithTls()}).
   */
  public String sentinelUrls() {
    return sentinels.stream().map(SentinelNode::url).collect(Collectors.joining(","));
  }

  /**
   * The sentinels' URLs with credentials, comma-separated: {@code redis://user:password@127.0.0.1:p1,…}
   * ({@code user} null: {@code redis://:password@…}), percent-encoded.
   */
  public String sentinelUrls(String user, String password) {
    String userInfo = (user == null ? "" : encode(user)) + ":" + encode(password) + "@";
    return sentinels.stream().map(s -> s.url().replace("://", "://" + userInfo))
        .collect(Collectors.joining(","));
  }

  /** The PEM CA certificate that signs every process's certificate; only after {@link #startWithTls()}. */
  public Path caCertPath() {
    if (tlsDir == null) {
      throw new IllegalStateException("Not a TLS topology");
    }
    return tlsDir.resolve(TlsCertificates.CA_CERT);
  }

  /** How many sentinels there are (three). */
  public int sentinelCount() {
    return sentinels.size();
  }

  /** Runs one command on sentinel {@code i} (logged in as {@link Auth} says) and returns its reply as text. */
  public String sentinelCommand(int i, String... args) {
    return sentinels.get(i).command(args);
  }

  /** The data node the first sentinel names as master now (after each operation, all name the same). */
  public RedisServer master() {
    return node(namedMasterPort(sentinels.get(0)));
  }

  /** The data nodes other than {@link #master()}, running or not. */
  public List<RedisServer> replicas() {
    RedisServer master = master();
    return dataNodes.stream().filter(node -> node != master).toList();
  }

  /** All three data nodes, running or not. */
  public List<RedisServer> dataNodes() {
    return List.copyOf(dataNodes);
  }

  /**
   * {@code SENTINEL FAILOVER}: returns the new master once every sentinel names it, it answers ROLE
   * master and every other running data node, the old master included, replicates from it. Sentinel
   * demotes the old master only on its next INFO, so this takes about 10 s.
   */
  public RedisServer failover() {
    RedisServer old = master();
    // Right after start a sentinel may not have polled the replicas yet and refuses (NOGOODSLAVE).
    Await.until(() -> startsFailover(sentinels.get(0)), TIMEOUT, "a sentinel to accept SENTINEL FAILOVER");
    RedisServer promoted = awaitNewMaster(old);
    awaitReplicasFollow(promoted);
    return promoted;
  }

  /**
   * SIGKILL of the master; returns the killed node once every sentinel names another one, which answers
   * ROLE master and has the other replica in sync.
   */
  public RedisServer killMaster() {
    RedisServer killed = master();
    killed.kill();
    RedisServer promoted = awaitNewMaster(killed);
    awaitReplicasFollow(promoted);
    return killed;
  }

  /**
   * Starts a killed node again on its port and data dir, as a replica of the current master (as if its
   * config had been rewritten; a node that boots as master is demoted by Sentinel only after 10-20 s).
   * Returns once it replicates with its link up and every sentinel sees it as a healthy replica.
   */
  public void restart(RedisServer killed) {
    RedisServer master = master();
    killed.restart(replicaOf(master));
    Await.until(() -> killed.isReplicaOf(master), TIMEOUT,
        "port " + killed.port() + " to replicate from " + master.port());
    Await.until(() -> sentinels.stream().allMatch(s -> seesHealthyReplica(s, killed)), TIMEOUT,
        "every sentinel to see port " + killed.port() + " as a healthy replica");
  }

  /** Kills the sentinels first (so none fails over meanwhile), then the data nodes; deletes their dirs. */
  @Override
  public void close() {
    sentinels.forEach(SentinelNode::close);
    dataNodes.forEach(RedisServer::close);
    if (tlsDir != null) {
      RedisProcess.deleteRecursively(tlsDir);
    }
  }

  private RedisServer.Options replicaOf(RedisServer master) {
    return dataNode.withArg("replicaof", master.host(), Integer.toString(master.port()));
  }

  /** How the sentinels log into the data nodes, and what they require of their own clients. */
  private static List<String> sentinelAuthLines(Auth auth) {
    List<String> lines = new ArrayList<>();
    if (auth == null) {
      return lines;
    }
    if (auth.user() != null) {
      lines.add("sentinel auth-user " + MASTER_NAME + " " + auth.user());
    }
    lines.add("sentinel auth-pass " + MASTER_NAME + " " + auth.password());
    if (auth.sentinelPassword() != null && auth.sentinelUser() == null) {
      // A sentinel uses its requirepass to log into the other sentinels too: all three share it.
      lines.add("requirepass " + auth.sentinelPassword());
    } else if (auth.sentinelPassword() != null) {
      lines.add("user " + auth.sentinelUser() + " on >" + auth.sentinelPassword() + " ~* &* +@all");
    }
    return lines;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private RedisServer awaitNewMaster(RedisServer old) {
    return Await.untilPresent(() -> {
      Set<Integer> named =
          sentinels.stream().map(SentinelTopology::namedMasterPort).collect(Collectors.toSet());
      if (named.size() != 1 || named.contains(old.port())) {
        return null;
      }
      RedisServer candidate = node(named.iterator().next());
      return candidate.command("ROLE").startsWith("master\n") ? candidate : null;
    }, TIMEOUT, "every sentinel to name a new master instead of port " + old.port() + ", which is master");
  }

  /** Waits until every running data node but {@code master} replicates from it with its link up. */
  private void awaitReplicasFollow(RedisServer master) {
    Await.until(() -> dataNodes.stream()
            .filter(n -> n != master && n.isRunning() && !n.isPaused())
            .allMatch(n -> n.isReplicaOf(master)),
        TIMEOUT, "every running data node to replicate from port " + master.port());
  }

  private static boolean startsFailover(SentinelNode sentinel) {
    try {
      return sentinel.command("SENTINEL", "FAILOVER", MASTER_NAME).equals("OK");
    } catch (RespClient.ErrorReply e) {
      if (e.getMessage().startsWith("NOGOODSLAVE")) {
        return false;
      }
      throw e;
    }
  }

  private static int namedMasterPort(SentinelNode sentinel) {
    String hostAndPort = sentinel.command("SENTINEL", "get-master-addr-by-name", MASTER_NAME);
    return Integer.parseInt(hostAndPort.split("\n")[1]);
  }

  /** SENTINEL REPLICAS is a list of field/value lists, flattened here: find the node's {@code flags}. */
  private static boolean seesHealthyReplica(SentinelNode sentinel, RedisServer node) {
    String[] fields = sentinel.command("SENTINEL", "replicas", MASTER_NAME).split("\n");
    String name = null;
    for (int i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i].equals("name")) {
        name = fields[i + 1];
      } else if (fields[i].equals("flags") && (RedisServer.HOST + ":" + node.port()).equals(name)) {
        return fields[i + 1].equals("slave");
      }
    }
    return false;
  }

  private RedisServer node(int port) {
    return dataNodes.stream().filter(n -> n.port() == port).findFirst()
        .orElseThrow(() -> new IllegalStateException("Sentinel names an unknown node on port " + port));
  }
}
