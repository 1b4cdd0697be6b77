package chatworker.chaos;

import chatworker.testing.Await;
import chatworker.testing.LocalPorts;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The chat-worker nodes as real processes ({@code java … chatworker.cli.Main --conf FILE}) on loopback,
 * on this JVM's class path, each logging to {@code out/node-N.log}. A node can be killed with SIGKILL
 * or stopped with SIGTERM, and started again on the same ports (its cluster port and its HTTP port,
 * where HTTP clients find it again).
 */
final class NodeFleet implements AutoCloseable {

  static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  final String clusterName;
  final List<Integer> clusterPorts = new ArrayList<>();
  final List<Integer> httpPorts = new ArrayList<>();
  private final Path outDir;
  private final Path confFile;
  private final String redisUrl;
  private final Process[] processes;
  private final int[] starts;

  NodeFleet(int nodes, String redisUrl, Path outDir, JsonObject config) throws IOException {
    this.clusterName = "chaos-" + Long.toHexString(System.nanoTime());
    this.redisUrl = redisUrl;
    this.outDir = outDir;
    this.processes = new Process[nodes];
    this.starts = new int[nodes];
    for (int i = 0; i < nodes; i++) {
      clusterPorts.add(distinctFreePort());
      httpPorts.add(distinctFreePort());
    }
    confFile = outDir.resolve("node-conf.json");
    Files.writeString(confFile, config.encodePrettily());
  }

  String members() {
    return String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
  }

  int size() {
    return processes.length;
  }

  /** Starts every node and waits until each logged its ready line. */
  void startAll(long timeoutMs) {
    for (int i = 0; i < processes.length; i++) {
      launch(i);
    }
    for (int i = 0; i < processes.length; i++) {
      awaitReady(i, timeoutMs);
    }
  }

  void launch(int node) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(HAZELCAST_FLAGS);
    command.addAll(List.of("-Xms256m", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        "chatworker.cli.Main", "--conf", confFile.toString()));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("CHATWORKER_REDIS_URL", redisUrl);
    builder.environment().put("CHATWORKER_HTTP_PORT", String.valueOf(httpPorts.get(node)));
    builder.environment().put("CHATWORKER_CLUSTER_NAME", clusterName);
    builder.environment().put("CHATWORKER_CLUSTER_HOST", "127.0.0.1");
    builder.environment().put("CHATWORKER_CLUSTER_PORT", String.valueOf(clusterPorts.get(node)));
    builder.environment().put("CHATWORKER_CLUSTER_MEMBERS", members());
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log(node).toFile()));
    try {
      Files.writeString(log(node), "=== start " + (++starts[node]) + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      processes[node] = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits (blocking: call it from a plain thread) until node's current start logged "ready". */
  void awaitReady(int node, long timeoutMs) {
    String marker = "=== start " + starts[node];
    Await.until(() -> {
      if (!processes[node].isAlive()) {
        throw new IllegalStateException(
            "node " + node + " exited with " + processes[node].exitValue() + "; see " + log(node));
      }
      try {
        String text = Files.readString(log(node));
        int from = text.lastIndexOf(marker);
        return from >= 0 && text.indexOf(" ready http=", from) >= 0;
      } catch (IOException notWrittenYet) {
        return false;
      }
    }, Duration.ofMillis(timeoutMs), "node " + node + " to log its ready line (see " + log(node) + ")");
  }

  /** SIGKILL, and waits for the process to be gone. */
  void kill(int node) {
    processes[node].destroyForcibly();
    try {
      processes[node].waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * SIGTERM, as an operator stops a node; waits up to {@code timeoutMs} for the process to end and
   * returns its exit code (SIGKILL and -1 when it did not end in time).
   */
  int terminate(int node, long timeoutMs) {
    processes[node].destroy();
    try {
      if (processes[node].waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
        return processes[node].exitValue();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    kill(node);
    return -1;
  }

  Path log(int node) {
    return outDir.resolve("node-" + node + ".log");
  }

  /** SIGTERM to every node (graceful stop), then SIGKILL to any still running after 15 s. */
  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        p.destroy();
      }
    }
    for (Process p : processes) {
      try {
        if (p != null && !p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A free port that none of our nodes was given yet. */
  private int distinctFreePort() {
    int port = freePort();
    while (clusterPorts.contains(port) || httpPorts.contains(port)) {
      port = freePort();
    }
    return port;
  }

  /** Below the ephemeral range, so that a killed node's port is still free when it starts again. */
  static int freePort() {
    return LocalPorts.free("127.0.0.1");
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
