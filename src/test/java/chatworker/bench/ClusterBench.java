package chatworker.bench;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import chatworker.cli.NodeSettings;
import chatworker.cli.NodeVerticle;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.HazelcastSetup;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * End-to-end generate latency and throughput over the clustered event bus against the same node in
 * process. Not a test: run it with {@code scripts/bench-cluster.sh}.
 *
 * <p>One throwaway redis-server; two worker nodes, each {@code java -jar target/chat-worker.jar} with
 * the shipped configuration; a client that joins their Hazelcast cluster as a lite member from this
 * JVM. The in-process figure comes from a {@link NodeVerticle} on a plain (not clustered) Vert.x in
 * this JVM, on the same Redis, under the same load: {@code --concurrency} callers in a closed loop,
 * each on a chat of its own (builtin model, no token delay), sending {@code chat.generate} with a text
 * and the next as soon as the reply came. The two alternate per round; Redis is flushed and new chats
 * seeded before each phase. Latency is from send to reply, per job, over the measured window.
 *
 * <p>stdout carries one JSON line per result and nothing else; logs go to stderr.
 */
public final class ClusterBench {

  private static final long REQUEST_TIMEOUT_MS = 30_000;
  private static final long MAX_RECORDED_MICROS = TimeUnit.SECONDS.toMicros(60);
  private static final Duration AWAIT_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern READY = Pattern.compile("chat-worker node (\\S+) ready http=(\\d+)");
  private static final String CLUSTERED = "clustered";
  private static final String IN_PROCESS = "in-process";

  private final Settings settings;
  private final PrintStream results;
  private final List<Process> workers = new ArrayList<>();
  private RedisServer redis;

  private ClusterBench(Settings settings, PrintStream results) {
    this.settings = settings;
    this.results = results;
  }

  /** Runs the benchmark; see {@link Settings} for the arguments. */
  public static void main(String[] args) throws Exception {
    PrintStream results = BenchSupport.resultsStream();
    Settings settings = BenchSupport.settingsOrExit(args, Settings::parse, Settings.USAGE);
    ClusterBench bench = new ClusterBench(settings, results);
    Runtime.getRuntime().addShutdownHook(new Thread(bench::killWorkers, "bench-worker-reaper"));
    int exit = 0;
    try {
      bench.run();
    } catch (Exception | AssertionError e) {
      e.printStackTrace();
      exit = 1;
    } finally {
      bench.killWorkers();
    }
    System.exit(exit);
  }

  private void run() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      redis = server;
      JsonObject config = new JsonObject(Files.readString(Path.of("conf", "chat-worker.json")));
      config.getJsonObject("redis").put("url", server.url());
      config.getJsonObject("http").put("port", 0);
      String clusterName = "cw-bench-" + UUID.randomUUID().toString().substring(0, 8);
      List<Integer> ports = freePorts(settings.workers + 1);
      List<String> members = ports.subList(0, settings.workers).stream().map(p -> "127.0.0.1:" + p).toList();
      log("%s on %s; %d cores; load average %s; %s", RedisServer.binaryDescription(), server.url(),
          Runtime.getRuntime().availableProcessors(), loadAverage(), settings);

      List<String> workerIds = startWorkers(server.url(), clusterName, ports, String.join(",", members));
      Vertx client = clusteredClient(new ClusterSettings(clusterName, "127.0.0.1", ports.get(settings.workers),
          members, 1, 5));
      Vertx local = Vertx.vertx(NodeSettings.fromJson(config.getJsonObject("node", new JsonObject()))
          .applyTo(new VertxOptions()));
      await(local.deployVerticle(new NodeVerticle(config, "in-process", () -> List.of("in-process"))));
      awaitEveryWorkerServes(client, workerIds);

      Map<String, Vertx> systems = new LinkedHashMap<>();
      systems.put(IN_PROCESS, local);
      systems.put(CLUSTERED, client);
      Map<String, List<JsonObject>> bySystem = new LinkedHashMap<>();
      for (String system : systems.keySet()) {
        log("warm-up %s (%d s, not reported)", system, settings.warmupSeconds);
        closedLoop(systems.get(system), settings.warmupSeconds);
      }
      for (int round = 1; round <= settings.rounds; round++) {
        List<String> order = new ArrayList<>(systems.keySet());
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        for (String system : order) {
          JsonObject result = closedLoop(systems.get(system), settings.durationSeconds)
              .put("bench", "cluster").put("system", system).put("round", round)
              .put("workers", system.equals(CLUSTERED) ? settings.workers : 1)
              .put("concurrency", settings.concurrency).put("loadAverage", loadAverage());
          BenchSupport.print(results, result);
          log("round %d/%d %-10s %,8.0f jobs/s  p50 %.3f ms  p99 %.3f ms  errors %d", round, settings.rounds, system,
              result.getDouble("jobsPerSec"), result.getDouble("p50Ms"), result.getDouble("p99Ms"),
              result.getLong("errors"));
          bySystem.computeIfAbsent(system, s -> new ArrayList<>()).add(result);
        }
      }
      JsonObject inProcess = summary(IN_PROCESS, bySystem.get(IN_PROCESS));
      JsonObject clustered = summary(CLUSTERED, bySystem.get(CLUSTERED));
      clustered.put("throughputVsInProcess", clustered.getDouble("jobsPerSec") / inProcess.getDouble("jobsPerSec"));
      BenchSupport.print(results, inProcess);
      BenchSupport.print(results, clustered);
      await(Future.join(client.close(), local.close()));
    }
  }

  // ---- the load ----------------------------------------------------------------------------------

  /** Seeds the chats, runs the closed loop for {@code seconds}, and reports what it measured. */
  private JsonObject closedLoop(Vertx on, int seconds) throws InterruptedException {
    BenchSupport.flushAndWait(redis, on);
    List<String> chats = seed(on, settings.concurrency);
    Context context = on.getOrCreateContext();
    Histogram latency = new Histogram(MAX_RECORDED_MICROS, 3);
    long[] counts = new long[3]; // jobs, errors, wrong replies: touched on `context` only
    String[] firstError = new String[1];
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    Promise<Void> done = Promise.promise();
    int[] running = {chats.size()};
    context.runOnContext(v -> {
      for (int c = 0; c < chats.size(); c++) {
        caller(on, chats.get(c), c, 0, end, latency, counts, firstError, () -> {
          if (--running[0] == 0) {
            done.complete();
          }
        });
      }
    });
    await(done.future());
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new JsonObject()
        .put("durationSeconds", Math.round(elapsed * 100) / 100.0)
        .put("jobs", counts[0]).put("jobsPerSec", Math.round(counts[0] / elapsed))
        .put("p50Ms", ms(latency.getValueAtPercentile(50))).put("p99Ms", ms(latency.getValueAtPercentile(99)))
        .put("p999Ms", ms(latency.getValueAtPercentile(99.9))).put("maxMs", ms(latency.getMaxValue()))
        .put("errors", counts[1] + counts[2]).put("wrongReplies", counts[2]).put("firstError", firstError[0]);
  }

  /** One caller: the next generate on its chat as soon as the previous one answered, until {@code end}. */
  private void caller(Vertx on, String chatId, int caller, int turn, long end, Histogram latency, long[] counts,
      String[] firstError, Runnable finished) {
    if (System.nanoTime() - end >= 0) {
      finished.run();
      return;
    }
    String text = "hello from caller " + caller + " turn " + turn;
    long sent = System.nanoTime();
    request(on, Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", text)).onComplete(ar -> {
      if (ar.failed()) {
        counts[1]++;
        firstError[0] = firstError[0] == null ? String.valueOf(ar.cause().getMessage()) : firstError[0];
      } else if (!("You said: " + text).equals(ar.result().getJsonObject("message").getString("text"))) {
        counts[2]++;
        firstError[0] = firstError[0] == null ? "wrong reply " + ar.result().encode() : firstError[0];
      } else {
        counts[0]++;
        latency.recordValue(Math.min(MAX_RECORDED_MICROS, (System.nanoTime() - sent) / 1_000));
      }
      caller(on, chatId, caller, turn + 1, end, latency, counts, firstError, finished);
    });
  }

  /** One builtin assistant without delay and {@code count} chats of it. */
  private static List<String> seed(Vertx on, int count) {
    String assistant = await(request(on, Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "bench")
        .put("model", new JsonObject().put("provider", "builtin").put("options", new JsonObject().put("tokenDelayMs", 0)))))
        .getString("id");
    List<Future<JsonObject>> chats = new ArrayList<>();
    for (int c = 0; c < count; c++) {
      chats.add(request(on, Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant)));
    }
    await(Future.all(chats));
    return chats.stream().map(chat -> chat.result().getString("id")).toList();
  }

  private static Future<JsonObject> request(Vertx on, String address, JsonObject body) {
    return on.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS))
        .map(reply -> reply.body());
  }

  private static JsonObject summary(String system, List<JsonObject> rounds) {
    return new JsonObject().put("bench", "cluster").put("system", system).put("summary", "median of rounds")
        .put("rounds", rounds.size())
        .put("jobsPerSec", median(rounds, "jobsPerSec")).put("p50Ms", median(rounds, "p50Ms"))
        .put("p99Ms", median(rounds, "p99Ms"))
        .put("errors", rounds.stream().mapToLong(r -> r.getLong("errors")).sum());
  }

  private static double median(List<JsonObject> rounds, String field) {
    return BenchSupport.median(rounds, r -> r.getDouble(field));
  }

  // ---- the cluster -------------------------------------------------------------------------------

  /** Starts the worker processes (the first alone, then the others join it) and returns their node ids. */
  private List<String> startWorkers(String redisUrl, String clusterName, List<Integer> ports, String members)
      throws IOException {
    Path dir = Path.of("target", "bench-cluster");
    Files.createDirectories(dir);
    List<Path> logs = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < settings.workers; i++) {
      Path logFile = dir.resolve("worker-" + i + ".log");
      ProcessBuilder builder = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", settings.jar)
          .redirectErrorStream(true).redirectOutput(logFile.toFile());
      builder.environment().keySet().removeIf(key -> key.startsWith("CHATWORKER_"));
      builder.environment().putAll(Map.of("CHATWORKER_REDIS_URL", redisUrl, "CHATWORKER_HTTP_PORT", "0",
          "CHATWORKER_CLUSTER_NAME", clusterName, "CHATWORKER_CLUSTER_HOST", "127.0.0.1",
          "CHATWORKER_CLUSTER_PORT", Integer.toString(ports.get(i)), "CHATWORKER_CLUSTER_MEMBERS", members));
      workers.add(builder.start());
      logs.add(logFile);
      if (i == 0) {
        ids.add(awaitReady(workers.get(0), logFile));
      }
    }
    for (int i = 1; i < settings.workers; i++) {
      ids.add(awaitReady(workers.get(i), logs.get(i)));
    }
    log("workers ready: %s (logs in %s)", ids, dir);
    return ids;
  }

  private static String awaitReady(Process worker, Path logFile) {
    return Await.untilPresent(() -> {
      try {
        Matcher ready = READY.matcher(Files.readString(logFile));
        if (ready.find()) {
          return ready.group(1);
        }
      } catch (IOException notWrittenYet) {
        // the worker has not opened its log yet
      }
      if (!worker.isAlive()) {
        throw new IllegalStateException("worker exited before it was ready; see " + logFile);
      }
      return null;
    }, Duration.ofSeconds(120), "a worker to log its ready line (see " + logFile + ")");
  }

  private static Vertx clusteredClient(ClusterSettings settings) {
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1").setPort(0);
    return await(Vertx.builder().with(options).withClusterManager(HazelcastSetup.clusterManager(settings, true))
        .buildClustered());
  }

  /** Generates until replies came from every worker: the client's view of the cluster is complete. */
  private static void awaitEveryWorkerServes(Vertx client, List<String> workerIds) {
    String assistant = await(request(client, Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "probe")))
        .getString("id");
    String chat = await(request(client, Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant)))
        .getString("id");
    Set<String> seen = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!seen.containsAll(workerIds)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("replies only from " + seen + " of " + workerIds);
      }
      seen.add(await(request(client, Addresses.GENERATE, new JsonObject().put("chatId", chat).put("text", "probe")))
          .getString("node"));
    }
  }

  private void killWorkers() {
    workers.forEach(Process::destroyForcibly);
  }

  // ---- helpers -----------------------------------------------------------------------------------

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

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  /** The 1 minute load average. */
  private static String loadAverage() {
    return BenchSupport.loadAverage(1);
  }

  private static void log(String format, Object... args) {
    System.err.printf(format + "%n", args);
  }

  /** The command line. */
  private record Settings(String jar, int workers, int concurrency, int durationSeconds, int warmupSeconds,
      int rounds) {

    static final String USAGE = "arguments: --jar target/chat-worker.jar --workers 2 --concurrency 128"
        + " --duration-seconds 15 --warmup-seconds 10 --rounds 3";

    static Settings parse(String[] args) {
      Map<String, String> values = new LinkedHashMap<>(Map.of("--jar", "target/chat-worker.jar", "--workers", "2",
          "--concurrency", "128", "--duration-seconds", "15", "--warmup-seconds", "10", "--rounds", "3"));
      for (int i = 0; i < args.length; i += 2) {
        if (!values.containsKey(args[i]) || i + 1 >= args.length) {
          throw new IllegalArgumentException("unknown or incomplete argument " + args[i]);
        }
        values.put(args[i], args[i + 1]);
      }
      try {
        return new Settings(values.get("--jar"), Integer.parseInt(values.get("--workers")),
            Integer.parseInt(values.get("--concurrency")), Integer.parseInt(values.get("--duration-seconds")),
            Integer.parseInt(values.get("--warmup-seconds")), Integer.parseInt(values.get("--rounds")));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }
  }
}
