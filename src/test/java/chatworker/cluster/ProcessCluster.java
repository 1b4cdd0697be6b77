package chatworker.cluster;

import chatworker.testing.Await;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Several chat-worker node processes on loopback forming one Hazelcast cluster of their own (a fresh
 * cluster name, free ports), sharing one Redis, plus {@code submit} processes joining it. Logs and
 * the configuration live under {@code target/cluster-tests/<name>/}. {@link #close()} kills every
 * process it started.
 *
 * <p>The first node is started alone and the others once it is ready: each of them then finds a
 * running member to join, and the first one is Hazelcast's master, which a test may rely on.
 */
final class ProcessCluster implements AutoCloseable {

  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path dir;
  private final Path conf;
  private final String redisUrl;
  private final String clusterName = "cw-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<JavaProcess> others = new ArrayList<>();
  private String members;

  private ProcessCluster(Path dir, Path conf, String redisUrl) {
    this.dir = dir;
    this.conf = conf;
    this.redisUrl = redisUrl;
  }

  /**
   * The overrides of a test that kills a node: chat locks with a lease of {@code lockLeaseMs}, and a
   * Hazelcast that declares a silent member dead within 5 s (heartbeat every second) instead of 60.
   */
  static JsonObject nodeKillOverrides(long lockLeaseMs) {
    return new JsonObject()
        .put("generation", new JsonObject().put("lockLeaseMs", lockLeaseMs))
        .put("cluster", new JsonObject().put("heartbeatIntervalSeconds", 1).put("maxNoHeartbeatSeconds", 5));
  }

  /**
   * Writes the configuration (conf/chat-worker.json with {@code overrides} merged in, section by
   * section) and starts {@code count} nodes; returns once each is ready and sees all the others.
   */
  static ProcessCluster start(String name, String redisUrl, int count, JsonObject overrides) {
    Path dir = Path.of("target", "cluster-tests", name).toAbsolutePath();
    deleteRecursively(dir);
    Path conf = dir.resolve("chat-worker.json");
    try {
      Files.createDirectories(dir);
      JsonObject config = new JsonObject(Files.readString(Path.of("conf", "chat-worker.json")));
      config.mergeIn(overrides, true);
      Files.writeString(conf, config.encodePrettily(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessCluster cluster = new ProcessCluster(dir, conf, redisUrl);
    try {
      cluster.startNodes(count);
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  private void startNodes(int count) {
    List<Integer> ports = FreePorts.loopback(count);
    members = FreePorts.members(ports);
    for (int i = 0; i < count; i++) {
      nodes.add(NodeProcess.start("node-" + i, dir, conf, redisUrl, clusterName, ports.get(i), members));
      if (i == 0) {
        nodes.get(0).awaitReady(START_TIMEOUT);
      }
    }
    nodes.forEach(node -> node.awaitReady(START_TIMEOUT));
    List<String> ids = nodes.stream().map(NodeProcess::nodeId).toList();
    for (NodeProcess node : nodes) {
      Await.until(() -> node.clusterMembers().containsAll(ids), START_TIMEOUT,
          node.name() + " to see all " + count + " nodes");
    }
  }

  List<NodeProcess> nodes() {
    return nodes;
  }

  NodeProcess node(int index) {
    return nodes.get(index);
  }

  Path dir() {
    return dir;
  }

  Path conf() {
    return conf;
  }

  String clusterName() {
    return clusterName;
  }

  /** The nodes' Hazelcast addresses, as {@code CHATWORKER_CLUSTER_MEMBERS} takes them. */
  String members() {
    return members;
  }

  /** Starts {@code java … Main submit args} as a lite member of this cluster, on a port of its own. */
  JavaProcess submit(String name, List<String> args) {
    List<String> command = new ArrayList<>(List.of("submit", "--conf", conf.toString()));
    command.addAll(args);
    JavaProcess submit = JavaProcess.start(name, dir, Map.of(
        "CHATWORKER_CLUSTER_NAME", clusterName,
        "CHATWORKER_CLUSTER_HOST", "127.0.0.1",
        "CHATWORKER_CLUSTER_PORT", Integer.toString(FreePorts.loopback(1).get(0)),
        "CHATWORKER_CLUSTER_MEMBERS", members), command);
    synchronized (others) {
      others.add(submit);
    }
    return submit;
  }

  /** The last log lines of every process, for assertion messages. */
  String logTails(int lines) {
    StringBuilder tails = new StringBuilder();
    nodes.forEach(node -> tails.append(node.process().logTail(lines)).append("\n"));
    synchronized (others) {
      others.forEach(process -> tails.append(process.logTail(lines)).append("\n"));
    }
    return tails.toString();
  }

  /** Kills every process still running; logs stay on disk. */
  @Override
  public void close() {
    synchronized (others) {
      others.forEach(JavaProcess::close);
    }
    nodes.forEach(NodeProcess::close);
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
