package chatworker.bench;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import chatworker.cli.NodeSettings;
import chatworker.cli.NodeVerticle;
import chatworker.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

  private static final long MAX_RECORDED_MICROS = TimeUnit.SECONDS.toMicros(60);
  private static final String CLUSTERED = "clustered";
  private static final String CLUSTERED_TLS = "clustered-tls";
  private static final String IN_PROCESS = "in-process";

  private final Settings settings;
  private final PrintStream results;
  private WorkerCluster cluster;
  private WorkerCluster tlsCluster;
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
    BenchSupport.runAndExit(bench::run, bench::closeCluster);
  }

  private void run() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      redis = server;
      JsonObject config = new JsonObject(Files.readString(Path.of("conf", "chat-worker.json")));
      config.getJsonObject("redis").put("url", server.url());
      config.getJsonObject("http").put("port", 0);
      log("%s on %s; %d cores; load average %s; %s", RedisServer.binaryDescription(), server.url(),
          Runtime.getRuntime().availableProcessors(), loadAverage(), settings);

      cluster = WorkerCluster.start(settings.jar, server.url(), settings.workers, List.of(),
          Path.of("target", "bench-cluster"));
      Vertx client = cluster.client();
      Vertx local = Vertx.vertx(NodeSettings.fromJson(config.getJsonObject("node", new JsonObject()))
          .applyTo(new VertxOptions()));
      await(local.deployVerticle(new NodeVerticle(config, "in-process", () -> List.of("in-process"))));

      Map<String, Vertx> systems = new LinkedHashMap<>();
      systems.put(IN_PROCESS, local);
      systems.put(CLUSTERED, client);
      if (settings.tlsDir != null) {
        // A second cluster, event bus in mutual TLS, measured in the same rounds as the first.
        tlsCluster = WorkerCluster.start(settings.jar, server.url(), settings.workers, List.of(),
            Path.of("target", "bench-cluster", "tls"), Path.of(settings.tlsDir));
        systems.put(CLUSTERED_TLS, tlsCluster.client());
      }
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
              .put("workers", system.equals(IN_PROCESS) ? 1 : settings.workers)
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
      if (tlsCluster != null) {
        JsonObject tls = summary(CLUSTERED_TLS, bySystem.get(CLUSTERED_TLS));
        tls.put("throughputVsInProcess", tls.getDouble("jobsPerSec") / inProcess.getDouble("jobsPerSec"))
            .put("throughputVsClustered", tls.getDouble("jobsPerSec") / clustered.getDouble("jobsPerSec"));
        BenchSupport.print(results, tls);
        tlsCluster.close();
      }
      await(local.close());
      cluster.close();
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
    BenchChats.request(on, Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", text)).onComplete(ar -> {
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
    String assistant = await(BenchChats.request(on, Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "bench")
        .put("model", new JsonObject().put("provider", "builtin").put("options", new JsonObject().put("tokenDelayMs", 0)))))
        .getString("id");
    List<Future<JsonObject>> chats = new ArrayList<>();
    for (int c = 0; c < count; c++) {
      chats.add(BenchChats.request(on, Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant)));
    }
    await(Future.all(chats));
    return chats.stream().map(chat -> chat.result().getString("id")).toList();
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

  private void closeCluster() {
    for (WorkerCluster running : new WorkerCluster[] {cluster, tlsCluster}) {
      if (running != null) {
        running.killWorkers();
      }
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------

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
      int rounds, String tlsDir) {

    static final String USAGE = "arguments: --jar target/chat-worker.jar --workers 2 --concurrency 128"
        + " --duration-seconds 15 --warmup-seconds 10 --rounds 3 [--tls DIR (scripts/tls-dev-certs.sh DIR N)]";

    static Settings parse(String[] args) {
      Map<String, String> values = new LinkedHashMap<>(Map.of("--jar", "target/chat-worker.jar", "--workers", "2",
          "--concurrency", "128", "--duration-seconds", "15", "--warmup-seconds", "10", "--rounds", "3"));
      values.put("--tls", null);
      for (int i = 0; i < args.length; i += 2) {
        if (!values.containsKey(args[i]) || i + 1 >= args.length) {
          throw new IllegalArgumentException("unknown or incomplete argument " + args[i]);
        }
        values.put(args[i], args[i + 1]);
      }
      try {
        return new Settings(values.get("--jar"), Integer.parseInt(values.get("--workers")),
            Integer.parseInt(values.get("--concurrency")), Integer.parseInt(values.get("--duration-seconds")),
            Integer.parseInt(values.get("--warmup-seconds")), Integer.parseInt(values.get("--rounds")),
            values.get("--tls"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }
  }
}
