package chatworker.bench;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.EventBusSetup;
import chatworker.cluster.HazelcastSetup;
import chatworker.testing.Await;
import chatworker.tls.PemFiles;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Worker nodes as processes ({@code java -jar target/chat-worker.jar}, the shipped configuration) on
 * loopback, one cluster of their own, and a client in this JVM that joins it as a Hazelcast lite
 * member: what the benchmarks of the clustered event bus and of the HTTP API run on. Blocking: for the
 * main thread. {@link #close} kills the workers; call it from a shutdown hook too.
 */
final class WorkerCluster implements AutoCloseable {

  /** One worker: its process, node id, HTTP port and log file. */
  record Worker(Process process, String nodeId, int httpPort, Path log) {}

  private static final Pattern READY = Pattern.compile("chat-worker node (\\S+) ready http=(\\d+)");

  private final List<Worker> workers;
  private final Vertx client;

  private WorkerCluster(List<Worker> workers, Vertx client) {
    this.workers = workers;
    this.client = client;
  }

  /**
   * Starts {@code count} workers on {@code redisUrl} (the first alone, then the others join it), each
   * with {@code jvmOptions} before {@code -jar} ({@code {n}} in an option: the worker's number, e.g.
   * for a JFR file of its own) and logging to {@code dir/worker-N.log}; joins them as a lite member
   * and returns once a generate has come back from every one of them.
   */
  static WorkerCluster start(String jar, String redisUrl, int count, List<String> jvmOptions, Path dir)
      throws IOException {
    return start(jar, redisUrl, count, jvmOptions, dir, null);
  }

  /**
   * As {@link #start(String, String, int, List, Path)}, with the event bus in mutual TLS when
   * {@code tlsDir} is not null: the certificates of {@code scripts/tls-dev-certs.sh DIR}, worker N with
   * {@code node-N.pem}, the client with {@code client.pem}.
   */
  static WorkerCluster start(String jar, String redisUrl, int count, List<String> jvmOptions, Path dir, Path tlsDir)
      throws IOException {
    Files.createDirectories(dir);
    String clusterName = "cw-bench-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = freePorts(count + 1);
    String members = String.join(",", ports.subList(0, count).stream().map(p -> "127.0.0.1:" + p).toList());
    List<Process> processes = new ArrayList<>();
    List<Worker> workers = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        Path logFile = dir.resolve("worker-" + i + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx512m"));
        int index = i;
        jvmOptions.forEach(option -> command.add(option.replace("{n}", Integer.toString(index))));
        command.addAll(List.of("-jar", jar));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
        builder.environment().keySet().removeIf(key -> key.startsWith("CHATWORKER_"));
        builder.environment().putAll(Map.of("CHATWORKER_REDIS_URL", redisUrl, "CHATWORKER_HTTP_PORT", "0",
            "CHATWORKER_CLUSTER_NAME", clusterName, "CHATWORKER_CLUSTER_HOST", "127.0.0.1",
            "CHATWORKER_CLUSTER_PORT", Integer.toString(ports.get(i)), "CHATWORKER_CLUSTER_MEMBERS", members));
        if (tlsDir != null) {
          PemFiles node = pemFiles(tlsDir, "node-" + i);
          builder.environment().putAll(Map.of("CHATWORKER_CLUSTER_TLS_CERT", node.cert(),
              "CHATWORKER_CLUSTER_TLS_KEY", node.key(), "CHATWORKER_CLUSTER_TLS_CA", node.ca()));
        }
        processes.add(builder.start());
        if (i == 0) {
          workers.add(awaitReady(processes.get(0), logFile));
        }
      }
      for (int i = 1; i < count; i++) {
        workers.add(awaitReady(processes.get(i), dir.resolve("worker-" + i + ".log")));
      }
      BenchSupport.log("workers ready: %s (logs in %s)", workers.stream().map(w -> w.nodeId + " http=" + w.httpPort)
          .toList(), dir);
      Vertx client = clusteredClient(new ClusterSettings(clusterName, "127.0.0.1", ports.get(count),
          List.of(members.split(",")), 1, 5).withTls(tlsDir == null ? null : pemFiles(tlsDir, "client")));
      WorkerCluster cluster = new WorkerCluster(workers, client);
      cluster.awaitEveryWorkerServes();
      return cluster;
    } catch (IOException | RuntimeException | Error e) {
      processes.forEach(Process::destroyForcibly);
      throw e;
    }
  }

  List<Worker> workers() {
    return workers;
  }

  /** The lite member's Vert.x: its event bus reaches the workers. */
  Vertx client() {
    return client;
  }

  /**
   * Closes the client (leaves the cluster), then stops the workers with SIGTERM, as an operator
   * would (a JFR recording is written at that exit), and kills those still running after 30 s.
   */
  @Override
  public void close() {
    try {
      await(client.close(), Duration.ofSeconds(30));
    } catch (RuntimeException | AssertionError e) {
      BenchSupport.log("closing the cluster client: %s", e);
    }
    workers.forEach(w -> w.process.destroy());
    for (Worker worker : workers) {
      try {
        if (!worker.process.waitFor(30, TimeUnit.SECONDS)) {
          BenchSupport.log("worker %s did not stop within 30 s of SIGTERM: killed", worker.nodeId);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    killWorkers();
  }

  /** Kills the worker processes (idempotent; safe from a shutdown hook). */
  void killWorkers() {
    workers.forEach(w -> w.process.destroyForcibly());
  }

  private static Worker awaitReady(Process process, Path logFile) {
    return Await.untilPresent(() -> {
      try {
        Matcher ready = READY.matcher(Files.readString(logFile));
        if (ready.find()) {
          return new Worker(process, ready.group(1), Integer.parseInt(ready.group(2)), logFile);
        }
      } catch (IOException notWrittenYet) {
        // the worker has not opened its log yet
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("worker exited before it was ready; see " + logFile);
      }
      return null;
    }, Duration.ofSeconds(120), "a worker to log its ready line (see " + logFile + ")");
  }

  private static PemFiles pemFiles(Path tlsDir, String name) {
    Path dir = tlsDir.toAbsolutePath();
    return new PemFiles(dir.resolve(name + ".pem").toString(), dir.resolve(name + ".key").toString(),
        dir.resolve("ca.pem").toString());
  }

  private static Vertx clusteredClient(ClusterSettings settings) {
    VertxOptions options = EventBusSetup.configure(new VertxOptions(), settings);
    return await(Vertx.builder().with(options).withClusterManager(HazelcastSetup.clusterManager(settings, true))
        .buildClustered(), Duration.ofMinutes(2));
  }

  /** Generates until replies came from every worker: the client's view of the cluster is complete. */
  private void awaitEveryWorkerServes() {
    String assistant = await(BenchChats.request(client, Addresses.ASSISTANTS_CREATE,
        new JsonObject().put("name", "probe"))).getString("id");
    String chat = await(BenchChats.request(client, Addresses.CHATS_CREATE,
        new JsonObject().put("assistantId", assistant))).getString("id");
    Set<String> seen = new HashSet<>();
    List<String> ids = workers.stream().map(Worker::nodeId).toList();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!seen.containsAll(ids)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("replies only from " + seen + " of " + ids);
      }
      seen.add(await(BenchChats.request(client, Addresses.GENERATE,
          new JsonObject().put("chatId", chat).put("text", "probe"))).getString("node"));
    }
  }

  private static List<Integer> freePorts(int count) throws IOException {
    List<ServerSocket> probes = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        probes.add(new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")));
      }
      return probes.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket probe : probes) {
        probe.close();
      }
    }
  }
}
