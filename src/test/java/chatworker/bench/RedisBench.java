package chatworker.bench;

import static chatworker.bench.BenchSupport.log;
import static chatworker.bench.BenchSupport.median;
import static chatworker.bench.BenchSupport.print;
import static chatworker.bench.BenchSupport.round3;

import chatworker.time.Deadline;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.testing.RedisServer;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * GET throughput and latency of the resilient Redis layer against a bare pooled vertx-redis-client,
 * in one run against one throwaway redis-server. Not a test: run it with {@code scripts/bench-redis.sh}.
 *
 * <p>For each round and each number of callers both clients run back to back (their order alternates),
 * so that noise on a shared machine hits both; each (client, callers) result is the median over the
 * rounds. Callers loop on one Vert.x context: the next GET goes out as soon as the last one answered;
 * after a failure a caller waits 1 ms on a timer (retrying at once starves the event loop, see
 * VERTX-NOTES.md). stdout carries one JSON line per result and nothing else; logs go to stderr.
 *
 * <p>{@code --clients} adds diagnostic variants built here from the bare client, to find where the
 * layer's time goes: {@code held} (4 held pipelined connections, round robin, nothing else),
 * {@code held-timer} (plus a command-timeout timer per call), {@code held-breaker} (plus a circuit
 * breaker set up as the layer's), {@code held-breaker-nometrics} (the same breaker without its
 * event-bus metrics).
 */
public final class RedisBench {

  private static final int KEYS = 10_000;
  private static final int VALUE_BYTES = 100;
  private static final int HELD_CONNECTIONS = 4;
  private static final long CALL_DEADLINE_MS = 3_000;
  private static final long MAX_RECORDED_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final double GOAL_RATIO = 0.9;
  private static final int GOAL_CALLERS = 64;

  private final Settings settings;
  private final PrintStream results;
  private final String[] keys = new String[KEYS];
  private RedisServer server;
  private Vertx vertx;
  private Context context;

  private RedisBench(Settings settings, PrintStream results) {
    this.settings = settings;
    this.results = results;
    for (int i = 0; i < KEYS; i++) {
      keys[i] = String.format("bench:key:%05d", i);
    }
  }

  /** Runs the benchmark; see {@link Settings#parse} for the arguments. */
  public static void main(String[] args) throws Exception {
    PrintStream results = BenchSupport.resultsStream();
    Settings settings = BenchSupport.settingsOrExit(args, Settings::parse, Settings.USAGE);
    try {
      new RedisBench(settings, results).run();
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1); // Vert.x threads would keep a failed run alive
    }
    System.exit(0);
  }

  private void run() throws Exception {
    try (RedisServer started = RedisServer.start()) {
      server = started;
      log("redis-server %s on %s, %d cores, load average %s; %s", server.command("INFO", "server").lines()
          .filter(l -> l.startsWith("redis_version:")).findFirst().orElse("?"), server.url(),
          Runtime.getRuntime().availableProcessors(), loadAverage(), settings);
      preload();
      vertx = Vertx.vertx();
      context = vertx.getOrCreateContext();
      Map<String, BenchClient> clients = openClients(server.url());
      for (BenchClient client : clients.values()) {
        checkAnswers(client);
      }
      // Busy cores (the JIT's first seconds, or other work) hide the wake-up latency of an idle
      // machine: 1 caller ran ~5x faster then. Warm every client up before anything is measured.
      int maxCallers = settings.callers.stream().mapToInt(Integer::intValue).max().orElse(1);
      for (BenchClient client : clients.values()) {
        RunResult warm = measure(client, maxCallers);
        log("warm-up %-22s %,10.0f ops/s (not reported)", client.name(), warm.opsPerSec);
      }
      Map<String, List<RunResult>> byKey = new LinkedHashMap<>();
      for (int round = 1; round <= settings.rounds; round++) {
        for (int c = 0; c < settings.callers.size(); c++) {
          int callers = settings.callers.get(c);
          List<String> order = new ArrayList<>(settings.clients);
          if ((round + c) % 2 == 0) {
            Collections.reverse(order);
          }
          for (String name : order) {
            RunResult result = measure(clients.get(name), callers);
            log("round %d/%d callers %d %-22s %,10.0f ops/s  p50 %.3f ms  p99 %.3f ms  %.1f GETs/Redis read"
                + "  errors %d%s", round, settings.rounds, callers, name, result.opsPerSec, result.p50Ms,
                result.p99Ms, result.commandsPerRead, result.errors,
                result.firstError == null ? "" : "  first error: " + result.firstError);
            byKey.computeIfAbsent(name + "/" + callers, k -> new ArrayList<>()).add(result);
          }
        }
      }
      log("load average at the end: %s", loadAverage());
      report(byKey);
      for (BenchClient client : clients.values()) {
        log("%s: %s", client.name(), client.describe());
      }
      await(() -> Future.join(clients.values().stream().map(BenchClient::close).toList()).mapEmpty());
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Writes {@value #KEYS} keys of {@value #VALUE_BYTES} bytes, 1,000 per MSET. */
  private void preload() {
    String value = "v".repeat(VALUE_BYTES);
    for (int from = 0; from < KEYS; from += 1_000) {
      List<String> args = new ArrayList<>(List.of("MSET"));
      for (int i = from; i < Math.min(KEYS, from + 1_000); i++) {
        args.add(keys[i]);
        args.add(value);
      }
      server.command(args.toArray(String[]::new));
    }
    log("preloaded %d keys (DBSIZE %s)", KEYS, server.command("DBSIZE"));
  }

  private Map<String, BenchClient> openClients(String url) throws Exception {
    Map<String, BenchClient> clients = new LinkedHashMap<>();
    HeldConnections held = null;
    for (String name : settings.clients) {
      BenchClient client;
      if (name.startsWith("held")) {
        if (held == null) {
          HeldConnections opened = new HeldConnections(Redis.createClient(vertx, new RedisOptions()
              .setConnectionString(url).setMaxPoolSize(HELD_CONNECTIONS).setMaxPoolWaiting(HELD_CONNECTIONS)));
          held = await(() -> opened.open().map(opened));
        }
        client = heldVariant(name, held);
      } else if (name.equals("resilient")) {
        client = await(() -> {
          // Created on the callers' context, as a verticle would create it on its own.
          ResilientRedis layer = ResilientRedis.create(vertx, RedisSettings.fromJson(new JsonObject().put("url", url)));
          return layer.start().map(v -> new ResilientClient(layer));
        });
      } else if (name.equals("pooled")) {
        int maxCallers = settings.callers.stream().mapToInt(Integer::intValue).max().orElse(1);
        Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
            .setMaxPoolSize(16).setMaxPoolWaiting(Math.max(1_024, 2 * maxCallers)));
        client = new PooledClient(redis);
      } else {
        throw new IllegalArgumentException("unknown client " + name);
      }
      clients.put(name, client);
    }
    return clients;
  }

  private BenchClient heldVariant(String name, HeldConnections held) {
    return switch (name) {
      case "held" -> new HeldClient(name, held, false, null);
      case "held-timer" -> new HeldClient(name, held, true, null);
      case "held-breaker" -> new HeldClient(name, held, false, layerLikeBreaker(true));
      case "held-breaker-nometrics" -> new HeldClient(name, held, false, layerLikeBreaker(false));
      default -> throw new IllegalArgumentException("unknown client " + name);
    };
  }

  /** Fails unless the client's GET returns the preloaded value: a benchmark of errors measures nothing. */
  private void checkAnswers(BenchClient client) throws Exception {
    Response reply = await(() -> client.get(keys[KEYS - 1]));
    if (reply == null || !reply.toString().equals("v".repeat(VALUE_BYTES))) {
      throw new IllegalStateException(client.name() + " answered GET with " + reply);
    }
  }

  /** A breaker with the layer's options; {@code metrics=false} turns off its event-bus notifications. */
  private CircuitBreaker layerLikeBreaker(boolean metrics) {
    CircuitBreakerOptions options = new CircuitBreakerOptions()
        .setMaxFailures(5).setResetTimeout(1_000).setTimeout(-1).setMaxRetries(0);
    if (!metrics) {
      options.setNotificationAddress(null);
    }
    return CircuitBreaker.create("bench-" + (metrics ? "metrics" : "plain"), vertx, options)
        .failurePolicy(Future::failed);
  }

  /** Warms up, measures for the configured duration, stops the callers and waits for them. */
  private RunResult measure(BenchClient client, int callers) throws Exception {
    CallerLoop loop = new CallerLoop(client, callers);
    context.runOnContext(v -> loop.start());
    Thread.sleep(TimeUnit.SECONDS.toMillis(settings.warmupSeconds));
    context.runOnContext(v -> loop.startRecording());
    long[] before = redisCounters();
    Thread.sleep(TimeUnit.SECONDS.toMillis(settings.durationSeconds));
    long[] after = redisCounters();
    context.runOnContext(v -> loop.stop());
    RunResult result = loop.stopped.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    double commandsPerRead = (after[0] - before[0]) / (double) Math.max(1, after[1] - before[1]);
    return new RunResult(result.opsPerSec, result.p50Ms, result.p99Ms, commandsPerRead, result.errors,
        result.firstError);
  }

  /**
   * Redis's {@code total_commands_processed} and {@code total_reads_processed}: their ratio tells how
   * many commands reached Redis per socket read, that is how well a client's writes were batched.
   */
  private long[] redisCounters() {
    Map<String, Long> stats = new LinkedHashMap<>();
    server.command("INFO", "stats").lines().filter(l -> l.startsWith("total_"))
        .map(l -> l.split(":", 2)).forEach(kv -> stats.put(kv[0], Long.parseLong(kv[1].trim())));
    return new long[] {stats.getOrDefault("total_commands_processed", 0L),
        stats.getOrDefault("total_reads_processed", 0L)};
  }

  /** Callers on {@link #context}; every field is touched on that context only. */
  private final class CallerLoop {
    final BenchClient client;
    final int callers;
    final Histogram latency = new Histogram(MAX_RECORDED_NANOS, 3);
    final Promise<RunResult> stopped = Promise.promise();
    boolean recording;
    boolean stopping;
    int running;
    long ops;
    long errors;
    long startNanos;
    long endNanos;
    String firstError;

    CallerLoop(BenchClient client, int callers) {
      this.client = client;
      this.callers = callers;
    }

    void start() {
      running = callers;
      for (int i = 0; i < callers; i++) {
        next(i, 0);
      }
    }

    void startRecording() {
      latency.reset();
      recording = true;
      startNanos = System.nanoTime();
    }

    void stop() {
      endNanos = System.nanoTime();
      recording = false;
      stopping = true;
    }

    void next(int caller, long n) {
      if (stopping) {
        if (--running == 0) {
          double seconds = (endNanos - startNanos) / 1e9;
          stopped.complete(new RunResult(ops / seconds, latency.getValueAtPercentile(50) / 1e6,
              latency.getValueAtPercentile(99) / 1e6, Double.NaN, errors, firstError));
        }
        return;
      }
      long begun = System.nanoTime();
      Future<Response> call;
      try {
        call = client.get(keys[(int) ((caller * 997L + n) % KEYS)]);
      } catch (RuntimeException e) {
        call = Future.failedFuture(e);
      }
      // A call that completed synchronously would recurse here; send its successor from the queue.
      boolean synchronous = call.isComplete();
      call.onComplete(ar -> {
        if (ar.succeeded()) {
          if (recording) {
            ops++;
            latency.recordValue(Math.min(System.nanoTime() - begun, MAX_RECORDED_NANOS));
          }
          if (synchronous) {
            context.runOnContext(v -> next(caller, n + 1));
          } else {
            next(caller, n + 1);
          }
        } else {
          if (recording) {
            errors++;
            if (firstError == null) {
              firstError = ar.cause().getClass().getSimpleName() + ": " + ar.cause().getMessage();
            }
          }
          vertx.setTimer(1, t -> next(caller, n + 1));
        }
      });
    }
  }

  private void report(Map<String, List<RunResult>> byKey) {
    for (int callers : settings.callers) {
      for (String name : settings.clients) {
        List<RunResult> runs = byKey.get(name + "/" + callers);
        JsonArray perRound = new JsonArray();
        runs.forEach(r -> perRound.add(Math.round(r.opsPerSec)));
        print(results, new JsonObject()
            .put("bench", "redis-get")
            .put("client", name)
            .put("callers", callers)
            .put("opsPerSec", Math.round(median(runs, RunResult::opsPerSec)))
            .put("p50Ms", round3(median(runs, RunResult::p50Ms)))
            .put("p99Ms", round3(median(runs, RunResult::p99Ms)))
            .put("getsPerRedisRead", Math.round(median(runs, RunResult::commandsPerRead) * 10) / 10.0)
            .put("errors", runs.stream().mapToLong(RunResult::errors).sum())
            .put("rounds", runs.size())
            .put("opsPerSecByRound", perRound));
      }
    }
    if (!settings.clients.containsAll(List.of("resilient", "pooled"))) {
      return;
    }
    Map<Integer, Double> ratios = new LinkedHashMap<>();
    for (int callers : settings.callers) {
      double ratio = median(byKey.get("resilient/" + callers), RunResult::opsPerSec)
          / median(byKey.get("pooled/" + callers), RunResult::opsPerSec);
      ratios.put(callers, ratio);
      print(results, new JsonObject().put("bench", "redis-get-ratio").put("callers", callers)
          .put("resilientOverPooled", Math.round(ratio * 100) / 100.0));
    }
    Double atGoal = ratios.get(GOAL_CALLERS);
    if (atGoal != null) {
      print(results, new JsonObject().put("bench", "redis-get-goal").put("callers", GOAL_CALLERS)
          .put("goal", "resilient >= " + GOAL_RATIO + " x pooled")
          .put("resilientOverPooled", Math.round(atGoal * 100) / 100.0)
          .put("met", atGoal >= GOAL_RATIO));
    }
  }

  /** Runs {@code action} on the callers' context and blocks the main thread until it completes. */
  private <T> T await(Supplier<Future<T>> action) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(ar -> {
          if (ar.succeeded()) {
            done.complete(ar.result());
          } else {
            done.completeExceptionally(ar.cause());
          }
        });
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return done.get(30, TimeUnit.SECONDS);
  }

  /** All of /proc/loadavg: the load averages, runnable/all tasks and the last pid. */
  private static String loadAverage() {
    return BenchSupport.loadAverage(5);
  }

  /** One measured run. */
  private record RunResult(double opsPerSec, double p50Ms, double p99Ms, double commandsPerRead, long errors,
      String firstError) {}

  /** What a caller calls: one GET. */
  private interface BenchClient {
    String name();

    Future<Response> get(String key);

    default String describe() {
      return "-";
    }

    Future<Void> close();
  }

  private static final class ResilientClient implements BenchClient {
    private final ResilientRedis layer;

    ResilientClient(ResilientRedis layer) {
      this.layer = layer;
    }

    @Override
    public String name() {
      return "resilient";
    }

    @Override
    public Future<Response> get(String key) {
      return layer.send(Request.cmd(Command.GET).arg(key), true, Deadline.inMillis(CALL_DEADLINE_MS));
    }

    @Override
    public String describe() {
      return layer.health().toJson().encode();
    }

    @Override
    public Future<Void> close() {
      return layer.close();
    }
  }

  private static final class PooledClient implements BenchClient {
    private final Redis redis;

    PooledClient(Redis redis) {
      this.redis = redis;
    }

    @Override
    public String name() {
      return "pooled";
    }

    @Override
    public Future<Response> get(String key) {
      return redis.send(Request.cmd(Command.GET).arg(key));
    }

    @Override
    public Future<Void> close() {
      return redis.close();
    }
  }

  /** A few connections held open for the diagnostic variants; opened and used on the callers' context. */
  private static final class HeldConnections {
    final Redis client;
    final List<RedisConnection> connections = new ArrayList<>();
    final AtomicInteger next = new AtomicInteger();

    HeldConnections(Redis client) {
      this.client = client;
    }

    Future<Void> open() {
      List<Future<RedisConnection>> opening = new ArrayList<>();
      for (int i = 0; i < HELD_CONNECTIONS; i++) {
        opening.add(client.connect());
      }
      return Future.all(opening).onSuccess(all -> connections.addAll(all.list())).mapEmpty();
    }

    RedisConnection pick() {
      return connections.get(Math.floorMod(next.getAndIncrement(), connections.size()));
    }
  }

  /** Held connections, plus (optionally) what the layer adds per call: a timer, a breaker. */
  private final class HeldClient implements BenchClient {
    private final String name;
    private final HeldConnections held;
    private final boolean timer;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();

    HeldClient(String name, HeldConnections held, boolean timer, CircuitBreaker breaker) {
      this.name = name;
      this.held = held;
      this.timer = timer;
      this.breaker = breaker;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Future<Response> get(String key) {
      return breaker == null ? send(key) : breaker.execute(() -> send(key));
    }

    private Future<Response> send(String key) {
      Future<Response> sent = held.pick().send(Request.cmd(Command.GET).arg(key));
      if (!timer) {
        return sent;
      }
      inFlight.incrementAndGet();
      long id = vertx.setTimer(1_000, t -> { });
      return sent.andThen(ar -> {
        inFlight.decrementAndGet();
        vertx.cancelTimer(id);
      });
    }

    @Override
    public Future<Void> close() {
      if (breaker != null) {
        breaker.close();
      }
      return held.client.close();
    }
  }

  /** Command-line settings. */
  private record Settings(int durationSeconds, int warmupSeconds, int rounds, List<Integer> callers,
      List<String> clients) {

    static final String USAGE = "usage: RedisBench [--duration-seconds 5] [--warmup-seconds 2] [--rounds 3]"
        + " [--callers 1,16,64,256] [--clients resilient,pooled[,held,held-timer,held-breaker,held-breaker-nometrics]]";

    static Settings parse(String[] args) {
      Map<String, String> values = BenchSupport.options(args, Map.of("duration-seconds", "5", "warmup-seconds", "2",
          "rounds", "3", "callers", "1,16,64,256", "clients", "resilient,pooled"));
      try {
        Settings settings = new Settings(Integer.parseInt(values.get("duration-seconds")),
            Integer.parseInt(values.get("warmup-seconds")), Integer.parseInt(values.get("rounds")),
            Arrays.stream(values.get("callers").split(",")).map(String::trim).map(Integer::valueOf).toList(),
            Arrays.stream(values.get("clients").split(",")).map(String::trim).toList());
        if (settings.durationSeconds < 1 || settings.warmupSeconds < 0 || settings.rounds < 1
            || settings.callers.isEmpty() || settings.callers.stream().anyMatch(c -> c < 1)) {
          throw new IllegalArgumentException("durations, rounds and callers must be positive");
        }
        return settings;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }
  }
}
