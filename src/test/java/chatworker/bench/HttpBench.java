package chatworker.bench;

import static chatworker.bench.BenchSupport.log;
import static chatworker.bench.BenchSupport.print;
import static chatworker.bench.BenchSupport.round3;
import static chatworker.testing.Await.await;

import chatworker.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Generate over the HTTP API against the same load over the clustered event bus, in one run. Not a
 * test: run it with {@code scripts/bench-http.sh}.
 *
 * <p>One throwaway redis-server and {@code --workers} worker processes ({@link WorkerCluster}: the jar
 * with the shipped configuration); this JVM joins their cluster as a lite member. Each phase flushes
 * Redis, seeds the same number of assistants and chats through the event bus ({@link BenchChats}) and
 * runs a {@link ClosedLoop} of {@code --concurrency} callers on one event loop of that member, each
 * on a chat no other caller holds, through one of the systems:
 * <ul>
 *   <li>{@code eventbus}: {@code chat.generate {chatId, jobId, text}} on the clustered event bus;</li>
 *   <li>{@code http}: {@code POST /v1/chats/{id}/generate {"text"}} with the jobId as Idempotency-Key,
 *       round robin over the workers' HTTP ports, one keep-alive connection per request in flight
 *       ({@link HttpLoad});</li>
 *   <li>{@code http-stream}: the same with {@code "stream": true}, read as server-sent events;</li>
 *   <li>{@code http-health}: {@code GET /health/live}, the HTTP port's cost without a job.</li>
 * </ul>
 * Every system is warmed up first ({@code --initial-warmup-seconds}); then the systems alternate per round (order reversed every other
 * round). Per phase: jobs/s, p50/p99 (send → reply), errors by code, CPU per job of the workers, this
 * JVM (the client) and Redis, and for HTTP the API's own view (its timer's mean, the access log's
 * p50/p99), the connections opened and how many generates ran on a worker other than the one asked.
 *
 * <p>stdout carries one JSON line per result and nothing else; logs go to stderr.
 */
public final class HttpBench {

  static final String EVENT_BUS = "eventbus";
  static final String HTTP = "http";
  static final String HTTP_STREAM = "http-stream";
  static final String HTTP_HEALTH = "http-health";
  private static final List<String> SYSTEMS = List.of(EVENT_BUS, HTTP, HTTP_STREAM, HTTP_HEALTH);
  private static final String GENERATE_ROUTE = "/v1/chats/{id}/generate";
  private static final double GOAL_RATIO = 0.5;

  private final Settings settings;
  private final PrintStream results;
  private RedisServer redis;
  private WorkerCluster cluster;

  private HttpBench(Settings settings, PrintStream results) {
    this.settings = settings;
    this.results = results;
  }

  /** Runs the benchmark; see {@link Settings#USAGE} for the arguments. */
  public static void main(String[] args) {
    PrintStream results = BenchSupport.resultsStream();
    Settings settings = BenchSupport.settingsOrExit(args, Settings::parse, Settings.USAGE);
    HttpBench bench = new HttpBench(settings, results);
    BenchSupport.runAndExit(bench::run, bench::killWorkers);
  }

  private void run() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      redis = server;
      log("%s on %s; %d cores, load average %s; %s", RedisServer.binaryDescription(), server.url(),
          Runtime.getRuntime().availableProcessors(), BenchSupport.loadAverage(3), settings);
      Path dir = Path.of("target", "bench-http");
      cluster = WorkerCluster.start(settings.jar, server.url(), settings.workers, workerJvmOptions(dir), dir);

      // The JIT's first seconds are not the steady state, on the workers nor here: with 10 s per system,
      // the workers' compiler threads were still busy in round 1 (twice the CPU per job of rounds 2-3).
      for (String system : settings.systems) {
        JsonObject warm = phase(system, 0, settings.initialWarmupSeconds);
        log("warm-up %-12s %,8.0f jobs/s (not reported)", system, warm.getDouble("jobsPerSec"));
      }
      Map<String, List<JsonObject>> bySystem = new LinkedHashMap<>();
      for (int round = 1; round <= settings.rounds; round++) {
        List<String> order = new ArrayList<>(settings.systems);
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        for (String system : order) {
          JsonObject result = phase(system, settings.warmupSeconds, settings.durationSeconds).put("round", round);
          print(results, result);
          log("round %d/%d %-12s %,8.0f jobs/s  p50 %.3f ms  p99 %.3f ms  errors %s  CPU/job us: workers %.0f,"
              + " client %.0f, redis %.0f; server mean %s ms; machine %d%% busy, others %d%%, load %s", round,
              settings.rounds, system, result.getDouble("jobsPerSec"), result.getDouble("p50Ms"),
              result.getDouble("p99Ms"), result.getJsonObject("errorsByCode").encode(),
              result.getDouble("workersCpuUsPerJob"), result.getDouble("clientCpuUsPerJob"),
              result.getDouble("redisCpuUsPerJob"), result.getValue("serverMeanMs"), result.getLong("machineBusyPct"),
              result.getLong("othersCpuPct"), result.getString("loadAverage"));
          bySystem.computeIfAbsent(system, s -> new ArrayList<>()).add(result);
        }
      }
      bySystem.forEach((system, rounds) -> print(results, summary(system, rounds)));
      if (bySystem.containsKey(EVENT_BUS)) {
        for (String system : List.of(HTTP, HTTP_STREAM)) {
          if (bySystem.containsKey(system)) {
            print(results, ratio(system, bySystem.get(system), bySystem.get(EVENT_BUS)));
          }
        }
      }
      cluster.close();
    }
  }

  /**
   * The workers' extra JVM flags: {@code --worker-jvm-options}, and with {@code --access-log off} a
   * logback configuration that is the shipped one with the access logger at WARN (the diagnostic
   * variant: what the access log costs).
   */
  private List<String> workerJvmOptions(Path dir) throws IOException {
    List<String> options = new ArrayList<>(Arrays.stream(settings.workerJvmOptions.trim().split("\\s+"))
        .filter(o -> !o.isEmpty()).toList());
    if (!settings.accessLog) {
      String shipped = Files.readString(Path.of("src", "main", "resources", "logback.xml"));
      String quiet = shipped.replace("  <root ", "  <logger name=\"chatworker.http.access\" level=\"WARN\"/>\n  <root ");
      Path file = dir.resolve("logback-no-access-log.xml");
      Files.createDirectories(dir);
      Files.writeString(file, quiet);
      options.add("-Dlogback.configurationFile=" + file.toAbsolutePath());
    }
    return options;
  }

  /**
   * One phase of {@code system} on fresh data: {@code warmupSeconds} of load, then
   * {@code durationSeconds} measured.
   */
  private JsonObject phase(String system, int warmupSeconds, int durationSeconds) throws Exception {
    Vertx client = cluster.client();
    BenchSupport.flushAndWait(redis, client);
    List<String> chats = BenchChats.seed(client, settings.assistants, settings.chats);
    HttpLoad http = system.equals(EVENT_BUS) ? null : new HttpLoad(client, cluster.workers(), settings.concurrency);
    ClosedLoop.Generate generate = switch (system) {
      case EVENT_BUS -> ClosedLoop.eventBus(client);
      case HTTP -> http.generate();
      case HTTP_STREAM -> http.stream();
      default -> http.healthProbe();
    };
    try {
      ClosedLoop load = new ClosedLoop(client, system, chats, settings.concurrency, generate);
      load.start();
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));

      WorkerSample workersBefore = WorkerSample.read(cluster.workers(), true);
      Counters before = Counters.read(redis);
      Instant measuredFrom = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      load.startRecording();
      Thread.sleep(TimeUnit.SECONDS.toMillis(durationSeconds));
      load.stopRecording();
      Counters after = Counters.read(redis);
      WorkerSample workersAfter = WorkerSample.read(cluster.workers(), false);
      ClosedLoop.Result run = load.drain();
      if (!run.errorsOutside().isEmpty()) {
        log("%s: errors outside the measured window (warm-up, drain): %s", system, run.errorsOutside());
      }
      long jobs = Math.max(1, run.jobs());
      JsonObject cpu = Counters.cpu(before, after, jobs);
      JsonObject server = WorkerSample.between(workersBefore, workersAfter, cluster.workers(), jobs,
          switch (system) {
            case EVENT_BUS -> null;
            case HTTP_HEALTH -> "/health/live";
            default -> GENERATE_ROUTE;
          });
      double redisSeconds = after.redisCpuSeconds() - before.redisCpuSeconds();
      JsonObject result = new JsonObject()
          .put("bench", "http")
          .put("system", system)
          .put("workers", settings.workers)
          .put("concurrency", settings.concurrency)
          .put("chats", settings.chats)
          .put("jobsPerSec", Math.round(run.jobsPerSec()))
          .put("p50Ms", round3(run.p50Ms()))
          .put("p99Ms", round3(run.p99Ms()))
          .put("errors", run.errors())
          .put("errorsByCode", new JsonObject(new TreeMap<>(run.errorsByCode())))
          .put("workersCpuUsPerJob", server.getDouble("workersCpuUsPerJob"))
          .put("clientCpuUsPerJob", cpu.getDouble("clientCpuUsPerJob"))
          .put("redisCpuUsPerJob", cpu.getDouble("redisCpuUsPerJob"))
          .put("machineBusyPct", cpu.getLong("machineBusyPct"))
          .put("othersCpuPct", Math.round(Counters.othersPct(before, after,
              redisSeconds + server.getDouble("workersCpuSeconds"))))
          .put("durationSeconds", round3(run.seconds()))
          .put("measuredFrom", measuredFrom.toString())
          .put("loadAverage", BenchSupport.loadAverage(3));
      server.fieldNames().stream().filter(f -> f.startsWith("server") || f.equals("accessLogLines"))
          .forEach(f -> result.put(f, server.getValue(f)));
      if (http != null) {
        result.put("httpConnections", http.connections());
        if (!system.equals(HTTP_HEALTH)) {
          result.put("ranOnAnotherWorkerPct", round3(http.ranElsewherePct()));
        }
      }
      return result;
    } finally {
      if (http != null) {
        await(http.close());
      }
    }
  }

  private void killWorkers() {
    WorkerCluster running = cluster;
    if (running != null) {
      running.killWorkers();
    }
  }

  // ---- the summary -------------------------------------------------------------------------------

  private static final List<String> MEDIANS = List.of("jobsPerSec", "p50Ms", "p99Ms", "workersCpuUsPerJob",
      "clientCpuUsPerJob", "redisCpuUsPerJob", "serverMeanMs", "serverP50Ms", "serverP99Ms", "ranOnAnotherWorkerPct",
      "httpConnections");

  /** A system's medians over the rounds. */
  private static JsonObject summary(String system, List<JsonObject> rounds) {
    JsonObject out = new JsonObject().put("bench", "http").put("summary", "median of rounds").put("system", system)
        .put("rounds", rounds.size());
    for (String field : MEDIANS) {
      List<JsonObject> with = rounds.stream().filter(r -> r.getValue(field) != null).toList();
      if (!with.isEmpty()) {
        double median = BenchSupport.median(with, r -> r.getDouble(field));
        out.put(field, field.equals("jobsPerSec") || field.equals("httpConnections") ? Math.round(median) : round3(median));
      }
    }
    Map<String, Integer> errorsByCode = new TreeMap<>();
    rounds.forEach(r -> r.getJsonObject("errorsByCode").forEach(e -> errorsByCode.merge(e.getKey(),
        ((Number) e.getValue()).intValue(), Integer::sum)));
    return out.put("jobsPerSecByRound", new JsonArray(rounds.stream().map(r -> r.getLong("jobsPerSec")).toList()))
        .put("errors", rounds.stream().mapToLong(r -> r.getLong("errors")).sum())
        .put("errorsByCode", new JsonObject(new TreeMap<>(errorsByCode)));
  }

  /** {@code system}'s jobs/s over the event bus's: the ratio of the medians, and each round's own ratio. */
  private static JsonObject ratio(String system, List<JsonObject> http, List<JsonObject> eventBus) {
    List<Double> byRound = new ArrayList<>();
    for (int i = 0; i < Math.min(http.size(), eventBus.size()); i++) {
      byRound.add(round3(http.get(i).getDouble("jobsPerSec") / eventBus.get(i).getDouble("jobsPerSec")));
    }
    double ratio = BenchSupport.median(http, r -> r.getDouble("jobsPerSec"))
        / BenchSupport.median(eventBus, r -> r.getDouble("jobsPerSec"));
    return new JsonObject().put("bench", "http-ratio").put("system", system).put("over", EVENT_BUS)
        .put("ratio", round3(ratio)).put("byRound", new JsonArray(byRound))
        .put("goal", system + " >= " + GOAL_RATIO + " x " + EVENT_BUS).put("met", ratio >= GOAL_RATIO)
        .put("loadAverage", BenchSupport.loadAverage(3));
  }

  // ---- the command line --------------------------------------------------------------------------

  /** Command-line settings. */
  private record Settings(String jar, int workers, int durationSeconds, int warmupSeconds, int initialWarmupSeconds,
      int rounds, int concurrency, int chats, int assistants, List<String> systems, boolean accessLog,
      String workerJvmOptions) {

    static final String USAGE = "usage: HttpBench [--jar target/chat-worker.jar] [--workers 2] [--duration-seconds 15]"
        + " [--warmup-seconds 5] [--initial-warmup-seconds 30] [--rounds 3] [--concurrency 64] [--chats 1000]"
        + " [--assistants 10]"
        + " [--systems eventbus,http[,http-stream][,http-health]] [--access-log on|off] [--worker-jvm-options '']";

    static Settings parse(String[] args) {
      Map<String, String> defaults = new LinkedHashMap<>();
      defaults.put("jar", "target/chat-worker.jar");
      defaults.put("workers", "2");
      defaults.put("duration-seconds", "15");
      defaults.put("warmup-seconds", "5");
      defaults.put("initial-warmup-seconds", "30");
      defaults.put("rounds", "3");
      defaults.put("concurrency", "64");
      defaults.put("chats", "1000");
      defaults.put("assistants", "10");
      defaults.put("systems", EVENT_BUS + "," + HTTP);
      defaults.put("access-log", "on");
      defaults.put("worker-jvm-options", "");
      Map<String, String> values = BenchSupport.options(args, defaults);
      try {
        List<String> systems = Arrays.stream(values.get("systems").split(",")).map(String::trim)
            .filter(name -> !name.isEmpty()).distinct().toList();
        if (systems.isEmpty() || !SYSTEMS.containsAll(systems)) {
          throw new IllegalArgumentException("--systems: some of " + SYSTEMS + ", not " + systems);
        }
        if (!List.of("on", "off").contains(values.get("access-log"))) {
          throw new IllegalArgumentException("--access-log: on or off");
        }
        Settings settings = new Settings(values.get("jar"), Integer.parseInt(values.get("workers")),
            Integer.parseInt(values.get("duration-seconds")), Integer.parseInt(values.get("warmup-seconds")),
            Integer.parseInt(values.get("initial-warmup-seconds")), Integer.parseInt(values.get("rounds")), Integer.parseInt(values.get("concurrency")),
            Integer.parseInt(values.get("chats")), Integer.parseInt(values.get("assistants")), systems,
            values.get("access-log").equals("on"), values.get("worker-jvm-options"));
        if (settings.workers < 1 || settings.durationSeconds < 1 || settings.warmupSeconds < 0
            || settings.initialWarmupSeconds < 1 || settings.rounds < 1
            || settings.concurrency < 1 || settings.chats < settings.concurrency || settings.assistants < 1) {
          throw new IllegalArgumentException("durations, rounds and counts must be positive, chats >= concurrency");
        }
        return settings;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }

    @Override
    public String toString() {
      return workers + " workers, " + concurrency + " callers, " + chats + " chats, " + rounds + " rounds of "
          + durationSeconds + " s (warm-up " + warmupSeconds + " s; first " + initialWarmupSeconds
          + " s per system), systems " + systems + ", access log "
          + (accessLog ? "on" : "off") + (workerJvmOptions.isBlank() ? "" : ", worker JVM options " + workerJvmOptions);
    }
  }
}
