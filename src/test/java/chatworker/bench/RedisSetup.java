package chatworker.bench;

import chatworker.testing.Await;
import chatworker.testing.ClusterTopology;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One Redis deployment that {@link TopologyBench} runs nodes on, started once for the whole run with
 * the tests' fixtures: a lone server, a master with one replica, a Sentinel-managed master with two
 * replicas, or a cluster of three masters with a replica each. Blocking: for the main thread.
 */
final class RedisSetup implements AutoCloseable {

  /** The deployments, with the {@code redis.mode} a node on them is given and each master's replicas. */
  enum Kind {
    LONE("standalone", 0), PAIR("standalone", 1), SENTINEL("sentinel", 2), CLUSTER("cluster", 1);

    final String mode;
    final int replicasPerMaster;

    Kind(String mode, int replicasPerMaster) {
      this.mode = mode;
      this.replicasPerMaster = replicasPerMaster;
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * What every data node does on disk, the same everywhere so that the configurations differ in
   * topology and durability only. The fixtures start sentinel and cluster nodes with
   * {@code appendfsync always} (so a killed node keeps its data) and lone servers without
   * persistence; the bench sets one of these on all of them.
   */
  enum Persistence {
    NONE, EVERYSEC, ALWAYS;

    static Persistence parse(String value) {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }
  }

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  // Redis's own default; the fixture's 1 s is for failover tests, and a starved node could be failed over.
  private static final String CLUSTER_NODE_TIMEOUT_MS = "15000";

  private final Kind kind;
  private final String url;
  private final List<RedisServer> masters;
  private final List<RedisServer> replicas;
  private final AutoCloseable owner;

  private RedisSetup(Kind kind, String url, List<RedisServer> masters, List<RedisServer> replicas,
      AutoCloseable owner) {
    this.kind = kind;
    this.url = url;
    this.masters = List.copyOf(masters);
    this.replicas = List.copyOf(replicas);
    this.owner = owner;
  }

  /** Starts the deployment and returns once its replicas are in sync (and its sentinels or cluster agree). */
  static RedisSetup start(Kind kind) {
    return switch (kind) {
      case LONE -> {
        RedisServer server = RedisServer.start();
        yield new RedisSetup(kind, server.url(), List.of(server), List.of(), server);
      }
      case PAIR -> startPair();
      case SENTINEL -> {
        SentinelTopology sentinel = SentinelTopology.start();
        yield new RedisSetup(kind, sentinel.sentinelUrls(), List.of(sentinel.master()), sentinel.replicas(),
            sentinel);
      }
      case CLUSTER -> {
        ClusterTopology cluster = ClusterTopology.start();
        cluster.nodes().forEach(node ->
            node.command("CONFIG", "SET", "cluster-node-timeout", CLUSTER_NODE_TIMEOUT_MS));
        yield new RedisSetup(kind, cluster.seedUrls(), cluster.masters(), cluster.replicas(), cluster);
      }
    };
  }

  private static RedisSetup startPair() {
    RedisServer master =
        RedisServer.start(RedisServer.Options.defaults().withArg("repl-diskless-sync-delay", "0"));
    try {
      RedisServer replica = RedisServer.start(RedisServer.Options.defaults()
          .withArg("replicaof", master.host(), Integer.toString(master.port())));
      Await.until(() -> replica.isReplicaOf(master), TIMEOUT, "the replica to sync from port " + master.port());
      return new RedisSetup(Kind.PAIR, master.url(), List.of(master), List.of(replica), () -> {
        replica.close();
        master.close();
      });
    } catch (RuntimeException | Error e) {
      master.close();
      throw e;
    }
  }

  Kind kind() {
    return kind;
  }

  /** {@code redis.url} for a node: the server, the sentinels, or the cluster's seeds. */
  String url() {
    return url;
  }

  /** The master(s), as they were at start (the bench causes no failover). */
  List<RedisServer> masters() {
    return masters;
  }

  List<RedisServer> replicas() {
    return replicas;
  }

  List<RedisServer> dataNodes() {
    List<RedisServer> all = new ArrayList<>(masters);
    all.addAll(replicas);
    return all;
  }

  /** Sets {@code persistence} on every data node; waits for the AOF rewrite that switching AOF on starts. */
  void persistence(Persistence persistence) {
    for (RedisServer node : dataNodes()) {
      node.command("CONFIG", "SET", "save", "");
      if (persistence == Persistence.NONE) {
        node.command("CONFIG", "SET", "appendonly", "no");
      } else {
        node.command("CONFIG", "SET", "appendfsync", persistence.name().toLowerCase(Locale.ROOT));
        node.command("CONFIG", "SET", "appendonly", "yes");
      }
    }
    Await.until(() -> dataNodes().stream().noneMatch(RedisSetup::rewritingAof), TIMEOUT, "AOF rewrites to end");
  }

  /**
   * Empties the deployment between phases: {@code FLUSHALL ASYNC} on each master, a {@code WAIT} on
   * the same connection until its replicas have it too, then until every data node has freed the old
   * data in the background (that CPU belongs to no phase; see {@link BenchSupport#flushAndWait}).
   */
  void flush() {
    for (RedisServer master : masters) {
      master.command("FLUSHALL", "ASYNC");
      String acked = master.command("WAIT", Integer.toString(kind.replicasPerMaster), "10000");
      if (Integer.parseInt(acked.trim()) < kind.replicasPerMaster) {
        throw new IllegalStateException(
            "only " + acked + " replicas of port " + master.port() + " took the flush");
      }
    }
    Await.until(() -> dataNodes().stream().noneMatch(BenchSupport::lazyFreePending), TIMEOUT,
        "every data node to free the flushed data");
  }

  /** Stops every process of the deployment (sentinels included) and deletes their data. */
  @Override
  public void close() {
    try {
      owner.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the " + label() + " deployment: " + e.getMessage(), e);
    }
  }

  String label() {
    return kind.label();
  }

  private static boolean rewritingAof(RedisServer node) {
    String info = node.command("INFO", "persistence");
    return info.contains("aof_rewrite_in_progress:1") || info.contains("aof_rewrite_scheduled:1");
  }
}
