package chatworker.bench;

import static chatworker.testing.Await.await;
import static chatworker.bench.BenchChats.request;
import static chatworker.bench.BenchSupport.log;
import static chatworker.bench.BenchSupport.median;
import static chatworker.bench.BenchSupport.print;
import static chatworker.bench.BenchSupport.round3;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.cli.NodeSettings;
import chatworker.cli.NodeVerticle;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisServer;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * Generation throughput and latency of one in-process node (builtin model, no token delay) against a
 * BullMQ worker doing the same chat turn on the same throwaway redis-server. Not a test: run it with
 * {@code scripts/bench-generate.sh}, which installs BullMQ into target/bullmq-bench first.
 *
 * <p>Per round, both systems run back to back (their order alternates), then chat-worker runs open
 * loop at half the median peak so far. Before each phase Redis is flushed and the phase seeds its own
 * assistants and chats. chat-worker's callers are closed loop on one Vert.x context: each sends
 * {@code chat.generate} on a chat no other caller holds, and the next as soon as the reply came. The
 * node and its load share one Vert.x, sized as the node sizes its own ({@code node.eventLoops}).
 *
 * <p>Per job it reports three counts, because they differ: {@code redisCommandsPerJob} is what Redis
 * ran ({@code INFO commandstats} deltas over the measured window, PING and INFO left out), which
 * includes every {@code redis.call} inside a Lua script; {@code commandsPerJob} is what clients sent,
 * from a one-second {@code MONITOR} sample during warm-up (Lua's own lines left out);
 * {@code roundTripsPerJob} is measured, not inferred: one job at a time through a TCP proxy, with and
 * without added latency, (difference of the median job time) / (added round-trip time).
 *
 * <p>stdout carries one JSON line per result and nothing else; logs go to stderr.
 */
public final class GenerateBench {

  private static final long MAX_RECORDED_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final Duration AWAIT_TIMEOUT = Duration.ofSeconds(90);
  private static final double GOAL_ROUND_TRIPS = 4;
  private static final double GOAL_RATIO = 3;
  private static final double GOAL_HALF_LOAD_P99_MS = 10;
  private static final String CHAT_WORKER = "chat-worker";
  private static final String BULLMQ = "bullmq";
  private static final String BULLMQ_PIPELINED = "bullmq-pipelined";

  private final Settings settings;
  private final PrintStream results;
  private RedisServer redis;
  private Vertx vertx;
  private Context client;
  private long jobCounter;

  private GenerateBench(Settings settings, PrintStream results) {
    this.settings = settings;
    this.results = results;
  }

  /** Runs the benchmark; see {@link Settings#parse} for the arguments. */
  public static void main(String[] args) throws Exception {
    PrintStream results = BenchSupport.resultsStream();
    Settings settings = BenchSupport.settingsOrExit(args, Settings::parse, Settings.USAGE);
    try {
      new GenerateBench(settings, results).run();
    } catch (Exception | AssertionError e) {
      // Vert.x's threads would keep the JVM alive: a failed run must end, with a non-zero status.
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private void run() throws Exception {
    try (RedisServer server = RedisServer.start()) {
      redis = server;
      log("%s on %s; %d cores, load average %s; %s", RedisServer.binaryDescription(), server.url(),
          Runtime.getRuntime().availableProcessors(), loadAverage(), settings);
      JsonObject config = nodeConfig(server.url());
      // The node's Vert.x as a node sets it up (node.eventLoops); the load shares it, as BullMQ's
      // producer shares its worker's process.
      vertx = Vertx.vertx(NodeSettings.fromJson(config.getJsonObject("node", new JsonObject())).applyTo(new VertxOptions()));
      await(vertx.deployVerticle(new NodeVerticle(config, "bench-node", () -> List.of("bench-node"))));
      log("node: %d event loop(s) (node.eventLoops %d), shared with the load",
          NodeSettings.fromJson(config.getJsonObject("node", new JsonObject())).effectiveEventLoops(),
          config.getJsonObject("node", new JsonObject()).getInteger("eventLoops", 0));
      client = vertx.getOrCreateContext();

      // The JIT's first seconds are not the steady state: warm chat-worker up before anything counts.
      flush();
      RunResult warm = closedLoop(seed(vertx, settings.chats), 0, Math.max(10, settings.warmupSeconds * 2), null);
      log("warm-up chat-worker %,.0f jobs/s (not reported)", warm.jobsPerSec);

      Map<String, List<RunResult>> bySystem = new LinkedHashMap<>();
      List<RunResult> halfLoad = new ArrayList<>();
      Map<String, Sample> samples = new LinkedHashMap<>();
      for (int round = 1; round <= settings.rounds; round++) {
        List<String> order = new ArrayList<>(settings.systems);
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        for (String system : order) {
          boolean sample = !samples.containsKey(system);
          RunResult result = system.equals(CHAT_WORKER) ? measureChatWorker(sample) : measureBullmq(system, sample);
          if (result.sample != null) {
            samples.put(system, result.sample);
          }
          log("round %d/%d %-16s %,8.0f jobs/s  p50 %.3f ms  p99 %.3f ms  redis commands/job %.2f  errors %d%s"
              + "  CPU/job: redis %.0f us, client %.0f us; machine %.0f%% busy, load %s",
              round, settings.rounds, system, result.jobsPerSec, result.p50Ms, result.p99Ms,
              result.redisCommandsPerJob, result.errors, result.firstError == null ? "" : " (" + result.firstError + ")",
              result.cpuField("redisCpuUsPerJob"), result.cpuField("clientCpuUsPerJob"),
              result.cpuField("machineBusyPct"), loadAverage());
          bySystem.computeIfAbsent(system, k -> new ArrayList<>()).add(result);
        }
        if (settings.halfLoad && (bySystem.containsKey(CHAT_WORKER) || settings.halfLoadRate > 0)) {
          double rate = settings.halfLoadRate > 0 ? settings.halfLoadRate
              : median(bySystem.get(CHAT_WORKER), RunResult::jobsPerSec) / 2;
          flush();
          RunResult half = openLoop(seed(vertx, settings.chats), rate);
          log("round %d/%d half load %,.0f/s: %,8.0f jobs/s  p50 %.3f ms  p99 %.3f ms (from send: p99 %.3f ms)"
              + "  errors %d  machine %.0f%% busy, load %s", round, settings.rounds, rate, half.jobsPerSec, half.p50Ms,
              half.p99Ms, half.p99FromSendMs, half.errors, half.cpuField("machineBusyPct"), loadAverage());
          halfLoad.add(half);
        }
      }
      Map<String, Double> roundTrips = new LinkedHashMap<>();
      if (settings.probeLatencyMs > 0) {
        for (String system : settings.systems) {
          roundTrips.put(system, probeRoundTrips(system));
        }
      }
      report(bySystem, halfLoad, samples, roundTrips);
      await(vertx.close());
    }
  }

  private JsonObject nodeConfig(String redisUrl) throws IOException {
    JsonObject config = BenchSupport.shippedNodeConfig(redisUrl);
    if (settings.eventLoops > 0) {
      config.put("node", config.getJsonObject("node", new JsonObject()).put("eventLoops", settings.eventLoops));
    }
    return config;
  }

  // ---- chat-worker -------------------------------------------------------------------------------

  private RunResult measureChatWorker(boolean sample) throws Exception {
    flush();
    List<String> chats = seed(vertx, settings.chats);
    Predicate<MonitorLine> marker = line -> line.command.equals("hsetnx") && line.firstArg.startsWith("cw:jobidx:");
    return closedLoop(chats, settings.warmupSeconds, settings.durationSeconds, sample ? marker : null);
  }

  private List<String> seed(Vertx on, int chatCount) {
    return BenchChats.seed(on, settings.assistants, chatCount);
  }

  private JsonObject generateBody(String chatId, String text) {
    return new JsonObject().put("chatId", chatId).put("jobId", "bench-" + (++jobCounter)).put("text", text);
  }

  /** Closed loop: {@code settings.concurrency} callers, each on a chat no other caller holds. */
  private RunResult closedLoop(List<String> chats, int warmupSeconds, int durationSeconds,
      Predicate<MonitorLine> sampleMarker) throws Exception {
    Load load = new Load(chats);
    client.runOnContext(v -> {
      for (int i = 0; i < settings.concurrency; i++) {
        load.callerNext();
      }
    });
    Sample sample = null;
    if (sampleMarker != null && warmupSeconds >= 3) {
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds) / 2);
      sample = monitorSample(sampleMarker);
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds) / 2 - 1_000);
    } else {
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
    }
    Counters before = Counters.read(redis);
    client.runOnContext(v -> load.startRecording());
    Thread.sleep(TimeUnit.SECONDS.toMillis(durationSeconds));
    return load.stop(before, sample);
  }

  /** Open loop at {@code rate} jobs/s, timer paced; latency counts from when a job was due (no coordinated omission). */
  private RunResult openLoop(List<String> chats, double rate) throws Exception {
    Load load = new Load(chats);
    long[] timers = new long[2];
    client.runOnContext(v -> {
      load.openStart = System.nanoTime();
      timers[0] = vertx.setPeriodic(1, t -> load.openTick(rate));
      timers[1] = vertx.setPeriodic(1_000, t -> load.logSecond());
    });
    Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(3, settings.warmupSeconds)));
    Counters before = Counters.read(redis);
    client.runOnContext(v -> load.startRecording());
    Thread.sleep(TimeUnit.SECONDS.toMillis(settings.durationSeconds));
    client.runOnContext(v -> {
      vertx.cancelTimer(timers[0]);
      vertx.cancelTimer(timers[1]);
    });
    RunResult result = load.stop(before, null);
    return result.withTarget(rate);
  }

  /** Load on chat-worker's event bus; every field is touched on {@link #client} only. */
  private final class Load {
    final List<String> chats;
    final boolean[] busy;
    final Histogram latency = new Histogram(MAX_RECORDED_NANOS, 3);
    final Histogram fromSend = new Histogram(MAX_RECORDED_NANOS, 3);
    final Map<String, Integer> errorsByCode = new TreeMap<>();
    int cursor;
    int inFlight;
    boolean recording;
    boolean stopping;
    long jobs;
    long errors;
    long skipped;
    long recordStart;
    long recordEnd;
    long openStart;
    long openIssued;
    String firstError;
    Promise<Void> drained = Promise.promise();
    // Per second, for the open loop's timeline on stderr: a p99 is easier to read next to its cause.
    long secondSent;
    long secondDone;
    long secondFailed;
    long secondMaxNanos;
    long lastGcMillis = gcMillis();

    Load(List<String> chats) {
      this.chats = chats;
      this.busy = new boolean[chats.size()];
    }

    /** The next chat no job of ours holds, round robin; -1 when all are busy. */
    int pickChat() {
      for (int i = 0; i < busy.length; i++) {
        int c = (cursor + i) % busy.length;
        if (!busy[c]) {
          cursor = c + 1;
          busy[c] = true;
          return c;
        }
      }
      return -1;
    }

    void callerNext() {
      if (stopping) {
        return;
      }
      int chat = pickChat();
      send(chat, System.nanoTime(), true);
    }

    void openTick(double rate) {
      long now = System.nanoTime();
      long due = (long) ((now - openStart) / 1e9 * rate);
      while (openIssued < due && !stopping) {
        long dueAt = openStart + (long) (openIssued * 1e9 / rate);
        openIssued++;
        int chat = pickChat();
        if (chat < 0) {
          skipped++;
          continue;
        }
        send(chat, dueAt, false);
      }
    }

    /** One stderr line per second: sent, answered, failed, in flight, worst latency, GC time, machine load. */
    void logSecond() {
      long gc = gcMillis();
      log("  %s t+%2ds sent %,6d answered %,6d failed %,5d in flight %4d max %7.1f ms gc %4d ms load %s",
          java.time.LocalTime.now().withNano(0), (System.nanoTime() - openStart) / 1_000_000_000L, secondSent, secondDone, secondFailed, inFlight,
          secondMaxNanos / 1e6, gc - lastGcMillis, loadAverage());
      lastGcMillis = gc;
      secondSent = 0;
      secondDone = 0;
      secondFailed = 0;
      secondMaxNanos = 0;
    }

    void send(int chat, long dueAt, boolean closed) {
      long sentAt = System.nanoTime();
      secondSent++;
      inFlight++;
      request(vertx, Addresses.GENERATE, generateBody(chats.get(chat), "hello from a benchmark to chat " + chat))
          .onComplete(ar -> {
            long now = System.nanoTime();
            busy[chat] = false;
            inFlight--;
            secondMaxNanos = Math.max(secondMaxNanos, now - dueAt);
            if (ar.succeeded()) {
              secondDone++;
            } else {
              secondFailed++;
            }
            // Throughput counts every reply in the window; latency only jobs sent (or due) in it.
            boolean counted = recording && dueAt - recordStart >= 0;
            if (ar.succeeded()) {
              if (recording) {
                jobs++;
              }
              if (counted) {
                latency.recordValue(Math.min(now - dueAt, MAX_RECORDED_NANOS));
                fromSend.recordValue(Math.min(now - sentAt, MAX_RECORDED_NANOS));
              }
              if (closed) {
                callerNext();
              }
            } else {
              // By code over the whole phase, warm-up included: a failure there is worth a look too.
              ApiException failure = ApiException.fromReply(ar.cause());
              errorsByCode.merge(failure.code().name(), 1, Integer::sum);
              if (recording) {
                errors++;
                if (firstError == null) {
                  firstError = failure.code().name() + ": " + failure.getMessage();
                }
              }
              if (closed) {
                vertx.setTimer(1, t -> callerNext());
              }
            }
            if (stopping && inFlight == 0) {
              drained.tryComplete();
            }
          });
    }

    void startRecording() {
      latency.reset();
      fromSend.reset();
      jobs = 0;
      errors = 0;
      recording = true;
      recordStart = System.nanoTime();
    }

    /** Stops recording now, waits for the jobs in flight; called from the main thread. */
    RunResult stop(Counters before, Sample sample) throws Exception {
      CompletableFuture<long[]> stopped = new CompletableFuture<>();
      client.runOnContext(v -> {
        recordEnd = System.nanoTime();
        recording = false;
        stopping = true;
        stopped.complete(new long[] {jobs});
        if (inFlight == 0) {
          drained.tryComplete();
        }
      });
      long recordedJobs = stopped.get(30, TimeUnit.SECONDS)[0];
      Counters after = before == null ? null : Counters.read(redis);
      Map<String, Long> delta = before == null ? Map.of() : Counters.delta(before.calls(), after.calls());
      drained.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      double seconds = (recordEnd - recordStart) / 1e9;
      long total = delta.values().stream().mapToLong(Long::longValue).sum();
      JsonObject byType = new JsonObject();
      delta.forEach((name, calls) -> byType.put(name, round3((double) calls / recordedJobs)));
      RunResult result = new RunResult(recordedJobs / seconds, latency.getValueAtPercentile(50) / 1e6,
          latency.getValueAtPercentile(99) / 1e6, fromSend.getValueAtPercentile(99) / 1e6,
          (double) total / recordedJobs, byType, errors, firstError, sample, 0, skipped)
          .withCpu(before == null ? null : Counters.cpu(before, after, recordedJobs));
      if (!errorsByCode.isEmpty()) {
        log("errors by code, warm-up included: %s", errorsByCode);
      }
      return result;
    }
  }

  // ---- BullMQ ------------------------------------------------------------------------------------

  private RunResult measureBullmq(String system, boolean sample) throws Exception {
    flush();
    Predicate<MonitorLine> marker = line -> line.command.equals("lrange") && line.firstArg.startsWith("app:chat:");
    BullmqRun run = runBullmq(redis.url(), settings.concurrency, settings.outstanding, settings.warmupSeconds,
        settings.durationSeconds, system.equals(BULLMQ_PIPELINED), sample ? marker : null);
    JsonObject out = run.out;
    return new RunResult(out.getDouble("jobsPerSec"), out.getDouble("p50Ms"), out.getDouble("p99Ms"),
        out.getDouble("p99Ms"), out.getDouble("redisCommandsPerJob"), out.getJsonObject("redisCommandsByType"),
        out.getLong("errors"), out.getString("firstError"), run.sample, 0, 0).withNode(out)
        .withCpu(new JsonObject().put("redisCpuUsPerJob", out.getDouble("redisCpuUsPerJob"))
            .put("clientCpuUsPerJob", out.getDouble("clientCpuUsPerJob")).put("machineBusyPct", out.getValue("machineBusyPct")));
  }

  /** The worker script's JSON line, and the MONITOR sample taken while it warmed up (or null). */
  private record BullmqRun(JsonObject out, Sample sample) {}

  /** Runs the worker script once. */
  private BullmqRun runBullmq(String url, int concurrency, int outstanding, int warmupSeconds, int durationSeconds,
      boolean pipelined, Predicate<MonitorLine> sampleMarker) throws Exception {
    Path script = Path.of(settings.bullmqDir, "chat-turn-worker.js");
    List<String> command = List.of(settings.node, script.toString(), "--redis-url", url,
        "--concurrency", Integer.toString(concurrency), "--outstanding", Integer.toString(outstanding),
        "--chats", Integer.toString(settings.chats), "--assistants", Integer.toString(settings.assistants),
        "--history", Integer.toString(BenchChats.HISTORY), "--warmup-seconds", Integer.toString(warmupSeconds),
        "--duration-seconds", Integer.toString(durationSeconds), "--pipelined", Boolean.toString(pipelined));
    Process process = new ProcessBuilder(command).start();
    CountDownLatch warming = new CountDownLatch(1);
    Thread errors = new Thread(() -> forwardStderr(process.getErrorStream(), warming), "bullmq-stderr");
    errors.setDaemon(true);
    errors.start();
    AtomicReference<String> line = new AtomicReference<>();
    Thread output = new Thread(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = reader.readLine()) != null; ) {
          if (l.startsWith("{")) {
            line.set(l);
          }
        }
      } catch (IOException e) {
        log("reading the worker's output: %s", e);
      }
    }, "bullmq-stdout");
    output.setDaemon(true);
    output.start();
    Sample sample = null;
    if (sampleMarker != null && warmupSeconds >= 3 && warming.await(60, TimeUnit.SECONDS)) {
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds) / 2);
      sample = monitorSample(sampleMarker);
    }
    if (!process.waitFor(warmupSeconds + durationSeconds + 120L, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("the BullMQ worker did not finish: " + command);
    }
    output.join(5_000);
    if (process.exitValue() != 0 || line.get() == null) {
      throw new IllegalStateException("the BullMQ worker failed (exit " + process.exitValue() + "): " + command);
    }
    return new BullmqRun(new JsonObject(line.get()), sample);
  }

  private static void forwardStderr(InputStream in, CountDownLatch warming) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String l; (l = reader.readLine()) != null; ) {
        System.err.println(l);
        if (l.contains("warm-up started")) {
          warming.countDown();
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  // ---- Round trips, measured -----------------------------------------------------------------------

  /**
   * Serial round trips per job: one job at a time through a TCP proxy that delays every chunk, both
   * ways, by 0, L and 3L ({@code L = probeLatencyMs}). Each round trip on the job's critical path adds
   * 2 x the delay to the job's time, so round trips = (t(3L) - t(L)) / 4L. Taking the slope between
   * two non-zero delays cancels what a delay costs beyond itself (the proxy thread waking up late on a
   * busy machine, once per forwarded chunk); t(0) is logged for comparison only.
   */
  private double probeRoundTrips(String system) throws Exception {
    flush();
    long[] delaysMs = {0, settings.probeLatencyMs, 3L * settings.probeLatencyMs};
    double[] perJobNanos = new double[delaysMs.length];
    try (FaultProxy proxy = FaultProxy.startFor(redis)) {
      if (system.equals(CHAT_WORKER)) {
        Vertx probe = Vertx.vertx();
        try {
          await(probe.deployVerticle(new NodeVerticle(nodeConfig(proxy.url()), "probe-node", () -> List.of("probe-node"))));
          List<String> chats = seed(probe, 10);
          for (int phase = 0; phase < delaysMs.length; phase++) {
            proxy.latency(Duration.ofMillis(delaysMs[phase]));
            double[] times = new double[settings.probeJobs];
            for (int i = -20; i < settings.probeJobs; i++) {
              long t0 = System.nanoTime();
              await(request(probe, Addresses.GENERATE, generateBody(chats.get(Math.floorMod(i, chats.size())), "probe " + i)));
              if (i >= 0) {
                times[i] = System.nanoTime() - t0;
              }
            }
            Arrays.sort(times);
            perJobNanos[phase] = times[times.length / 2];
          }
        } finally {
          await(probe.close());
        }
      } else {
        for (int phase = 0; phase < delaysMs.length; phase++) {
          proxy.latency(Duration.ofMillis(delaysMs[phase]));
          flush();
          // One job at a time (concurrency 1), a few always waiting: the median time between two
          // completions is one job's whole cycle, and a median is not moved by a stall of the machine.
          JsonObject out = runBullmq(proxy.url(), 1, 8, 2, 6, system.equals(BULLMQ_PIPELINED), null).out;
          perJobNanos[phase] = 1e6 * out.getDouble("completionIntervalP50Ms");
        }
      }
    }
    double roundTrips = (perJobNanos[2] - perJobNanos[1]) / TimeUnit.MILLISECONDS.toNanos(2 * (delaysMs[2] - delaysMs[1]));
    double fromZero = (perJobNanos[1] - perJobNanos[0]) / TimeUnit.MILLISECONDS.toNanos(2 * delaysMs[1]);
    log("round-trip probe %-16s ms/job at +0/+%d/+%d ms per direction: %.3f / %.3f / %.3f -> %.2f round trips/job"
        + " (%.2f from the 0 and %d ms runs)", system, delaysMs[1], delaysMs[2], perJobNanos[0] / 1e6,
        perJobNanos[1] / 1e6, perJobNanos[2] / 1e6, roundTrips, fromZero, delaysMs[1]);
    return roundTrips;
  }

  // ---- Redis counters ------------------------------------------------------------------------------

  /**
   * Empties Redis for the next phase, then waits until Redis has freed the old data and the node's
   * store answers. ASYNC: Redis frees the old data in a background thread; a plain FLUSHALL of a 20 s
   * phase's data blocked Redis for up to 2.5 s, past the command timeout, so the node replaced its
   * connections (as it should) and the next phase started on a node that had just recovered from an
   * outage. The wait for the freeing keeps its CPU out of the next phase's numbers.
   */
  private void flush() {
    BenchSupport.flushAndWait(redis, vertx);
  }

  /** One line of MONITOR output: the command's name (lower case), its first argument, and whether Lua ran it. */
  private record MonitorLine(boolean fromLua, String command, String firstArg) {

    /** {@code +1700000000.123456 [0 127.0.0.1:5000] "evalsha" "ab12…" "2" …} or {@code … [0 lua] "hget" …}. */
    static MonitorLine parse(String line) {
      int close = line.indexOf("] ");
      if (!line.startsWith("+") || close < 0) {
        return null;
      }
      boolean lua = line.substring(line.indexOf('['), close).endsWith(" lua");
      List<String> args = quoted(line.substring(close + 2), 2);
      return args.isEmpty() ? null : new MonitorLine(lua, args.get(0).toLowerCase(),
          args.size() > 1 ? args.get(1) : "");
    }

    private static List<String> quoted(String s, int max) {
      List<String> out = new ArrayList<>();
      int i = 0;
      while (out.size() < max && (i = s.indexOf('"', i)) >= 0) {
        StringBuilder arg = new StringBuilder();
        for (i++; i < s.length() && s.charAt(i) != '"'; i++) {
          if (s.charAt(i) == '\\' && i + 1 < s.length()) {
            i++;
          }
          arg.append(s.charAt(i));
        }
        out.add(arg.toString());
        i++;
      }
      return out;
    }
  }

  /** What clients sent during a MONITOR sample: commands per job by name, jobs counted by a per-job marker command. */
  private record Sample(double commandsPerJob, JsonObject byCommand, long markers, double luaCommandsPerJob) {

    JsonObject toJson() {
      return new JsonObject().put("commandsPerJob", round3(commandsPerJob)).put("byCommand", byCommand)
          .put("jobsSampled", markers).put("luaCommandsPerJob", round3(luaCommandsPerJob));
    }
  }

  /** Watches MONITOR for a second. MONITOR slows Redis down, so this runs during warm-up, never while measuring. */
  private Sample monitorSample(Predicate<MonitorLine> marker) throws IOException {
    Map<String, Long> byCommand = new TreeMap<>();
    long markers = 0;
    long clientTotal = 0;
    long luaTotal = 0;
    try (Socket socket = new Socket(redis.host(), redis.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("*1\r\n$7\r\nMONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8), 1 << 16);
      String ok = in.readLine();
      if (!"+OK".equals(ok)) {
        throw new IllegalStateException("MONITOR answered " + ok);
      }
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      socket.setSoTimeout(1_000);
      while (System.nanoTime() - end < 0) {
        String raw = in.readLine();
        if (raw == null) {
          break;
        }
        MonitorLine line = MonitorLine.parse(raw);
        if (line == null || line.command.equals("ping") || line.command.equals("info")) {
          continue;
        }
        if (line.fromLua) {
          luaTotal++;
          continue;
        }
        clientTotal++;
        byCommand.merge(line.command, 1L, Long::sum);
        if (marker.test(line)) {
          markers++;
        }
      }
    }
    if (markers == 0) {
      log("MONITOR sample saw no job: %s", byCommand);
      return null;
    }
    JsonObject perJob = new JsonObject();
    long jobs = markers;
    byCommand.forEach((name, count) -> perJob.put(name, round3((double) count / jobs)));
    return new Sample((double) clientTotal / jobs, perJob, jobs, (double) luaTotal / jobs);
  }

  // ---- Report --------------------------------------------------------------------------------------

  private void report(Map<String, List<RunResult>> bySystem, List<RunResult> halfLoad, Map<String, Sample> samples,
      Map<String, Double> roundTrips) {
    for (Map.Entry<String, List<RunResult>> entry : bySystem.entrySet()) {
      String system = entry.getKey();
      List<RunResult> runs = entry.getValue();
      JsonArray perRound = new JsonArray();
      runs.forEach(r -> perRound.add(Math.round(r.jobsPerSec)));
      Sample sample = samples.get(system);
      RunResult last = runs.get(runs.size() - 1);
      JsonObject line = new JsonObject()
          .put("bench", "generate")
          .put("system", system)
          .put("concurrency", settings.concurrency)
          .put("chats", settings.chats)
          .put("jobsPerSec", Math.round(median(runs, RunResult::jobsPerSec)))
          .put("p50Ms", round3(median(runs, RunResult::p50Ms)))
          .put("p99Ms", round3(median(runs, RunResult::p99Ms)))
          .put("commandsPerJob", sample == null ? null : round3(sample.commandsPerJob))
          .put("roundTripsPerJob", roundTrips.containsKey(system) ? Math.round(roundTrips.get(system) * 100) / 100.0 : null)
          .put("redisCommandsPerJob", round3(median(runs, RunResult::redisCommandsPerJob)))
          .put("redisCpuUsPerJob", round1(median(runs, r -> r.cpuField("redisCpuUsPerJob"))))
          .put("clientCpuUsPerJob", round1(median(runs, r -> r.cpuField("clientCpuUsPerJob"))))
          .put("machineBusyPct", Math.round(median(runs, r -> r.cpuField("machineBusyPct"))))
          .put("errors", runs.stream().mapToLong(RunResult::errors).sum())
          .put("rounds", runs.size())
          .put("jobsPerSecByRound", perRound)
          .put("clientCommands", sample == null ? null : sample.toJson())
          .put("redisCommandsByType", last.redisCommandsByType);
      if (!system.equals(CHAT_WORKER)) {
        line.put("outstanding", settings.outstanding);
        if (last.node != null) {
          line.put("bullmqVersion", last.node.getString("bullmqVersion"))
              .put("nodeVersion", last.node.getString("nodeVersion"));
        }
      }
      print(results, line);
    }
    List<RunResult> ours = bySystem.get(CHAT_WORKER);
    List<RunResult> theirs = bySystem.get(BULLMQ);
    JsonObject goals = new JsonObject().put("bench", "generate-goals");
    if (ours != null && theirs != null) {
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < Math.min(ours.size(), theirs.size()); i++) {
        ratios.add(ours.get(i).jobsPerSec / theirs.get(i).jobsPerSec);
      }
      double ratio = median(ours, RunResult::jobsPerSec) / median(theirs, RunResult::jobsPerSec);
      print(results, new JsonObject().put("bench", "generate-ratio")
          .put("chatWorkerOverBullmq", Math.round(ratio * 100) / 100.0)
          .put("byRound", new JsonArray(ratios.stream().map(r -> Math.round(r * 100) / 100.0).toList()))
          .put("goal", "chat-worker >= " + GOAL_RATIO + " x bullmq").put("met", ratio >= GOAL_RATIO));
      goals.put("ratioAtLeast3", ratio >= GOAL_RATIO);
    }
    if (!halfLoad.isEmpty()) {
      double p99 = median(halfLoad, RunResult::p99Ms);
      print(results, new JsonObject().put("bench", "generate-half-load").put("system", CHAT_WORKER)
          .put("targetJobsPerSec", Math.round(median(halfLoad, RunResult::targetRate)))
          .put("jobsPerSec", Math.round(median(halfLoad, RunResult::jobsPerSec)))
          .put("p50Ms", round3(median(halfLoad, RunResult::p50Ms)))
          .put("p99Ms", round3(p99))
          .put("p99FromSendMs", round3(median(halfLoad, RunResult::p99FromSendMs)))
          .put("p99MsByRound", new JsonArray(halfLoad.stream().map(r -> round3(r.p99Ms)).toList()))
          .put("redisCpuUsPerJob", round1(median(halfLoad, r -> r.cpuField("redisCpuUsPerJob"))))
          .put("clientCpuUsPerJob", round1(median(halfLoad, r -> r.cpuField("clientCpuUsPerJob"))))
          .put("machineBusyPct", Math.round(median(halfLoad, r -> r.cpuField("machineBusyPct"))))
          .put("errors", halfLoad.stream().mapToLong(RunResult::errors).sum())
          .put("notSentAllChatsBusy", halfLoad.stream().mapToLong(RunResult::skipped).sum())
          .put("goal", "p99 <= " + GOAL_HALF_LOAD_P99_MS + " ms").put("met", p99 <= GOAL_HALF_LOAD_P99_MS)
          .put("rate", settings.halfLoadRate > 0 ? "fixed by --half-load-rate" : "half the measured peak"));
      if (settings.halfLoadRate == 0) {
        goals.put("halfLoadP99AtMost10Ms", p99 <= GOAL_HALF_LOAD_P99_MS); // a fixed rate is not half the peak
      }
    }
    if (roundTrips.containsKey(CHAT_WORKER)) {
      goals.put("roundTripsAtMost4", roundTrips.get(CHAT_WORKER) <= GOAL_ROUND_TRIPS);
    }
    print(results, goals.put("loadAverage", loadAverage()));
  }

  private static double round1(double value) {
    return Math.round(value * 10) / 10.0;
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(gc -> Math.max(0, gc.getCollectionTime())).sum();
  }

  /** The 1, 5 and 15 minute load averages. */
  private static String loadAverage() {
    return BenchSupport.loadAverage(3);
  }

  /**
   * One measured run; {@code cpu} is {@link Counters#cpu}'s per-job figures, {@code node} the BullMQ
   * worker's own JSON line.
   */
  private record RunResult(double jobsPerSec, double p50Ms, double p99Ms, double p99FromSendMs,
      double redisCommandsPerJob, JsonObject redisCommandsByType, long errors, String firstError, Sample sample,
      double targetRate, long skipped, JsonObject cpu, JsonObject node) {

    RunResult(double jobsPerSec, double p50Ms, double p99Ms, double p99FromSendMs, double redisCommandsPerJob,
        JsonObject redisCommandsByType, long errors, String firstError, Sample sample, double targetRate, long skipped) {
      this(jobsPerSec, p50Ms, p99Ms, p99FromSendMs, redisCommandsPerJob, redisCommandsByType, errors, firstError,
          sample, targetRate, skipped, null, null);
    }

    RunResult withTarget(double rate) {
      return new RunResult(jobsPerSec, p50Ms, p99Ms, p99FromSendMs, redisCommandsPerJob, redisCommandsByType, errors,
          firstError, sample, rate, skipped, cpu, node);
    }

    RunResult withCpu(JsonObject perJob) {
      return new RunResult(jobsPerSec, p50Ms, p99Ms, p99FromSendMs, redisCommandsPerJob, redisCommandsByType, errors,
          firstError, sample, targetRate, skipped, perJob, node);
    }

    RunResult withNode(JsonObject out) {
      return new RunResult(jobsPerSec, p50Ms, p99Ms, p99FromSendMs, redisCommandsPerJob, redisCommandsByType, errors,
          firstError, sample, targetRate, skipped, cpu, out);
    }

    /** A per-job CPU figure (or NaN when not measured). */
    double cpuField(String name) {
      Double value = cpu == null ? null : cpu.getDouble(name);
      return value == null ? Double.NaN : value;
    }
  }

  /** Command-line settings. */
  private record Settings(int durationSeconds, int warmupSeconds, int rounds, int concurrency, int chats,
      int assistants, int outstanding, List<String> systems, boolean halfLoad, int halfLoadRate, int probeLatencyMs,
      int probeJobs, int eventLoops, String bullmqDir, String node) {

    static final String USAGE = "usage: GenerateBench [--duration-seconds 20] [--warmup-seconds 5] [--rounds 3]"
        + " [--concurrency 64] [--chats 1000] [--assistants 10] [--outstanding 128]"
        + " [--systems chat-worker,bullmq[,bullmq-pipelined]] [--half-load true] [--half-load-rate 0]"
        + " [--probe-latency-ms 2] [--probe-jobs 200] [--event-loops 0] [--bullmq-dir target/bullmq-bench] [--node node]";

    static Settings parse(String[] args) {
      Map<String, String> defaults = new LinkedHashMap<>();
      defaults.put("duration-seconds", "20");
      defaults.put("warmup-seconds", "5");
      defaults.put("rounds", "3");
      defaults.put("concurrency", "64");
      defaults.put("chats", "1000");
      defaults.put("assistants", "10");
      defaults.put("outstanding", "128");
      defaults.put("systems", CHAT_WORKER + "," + BULLMQ);
      defaults.put("half-load", "true");
      defaults.put("half-load-rate", "0");
      defaults.put("probe-latency-ms", "2");
      defaults.put("probe-jobs", "200");
      defaults.put("event-loops", "0");
      defaults.put("bullmq-dir", "target/bullmq-bench");
      defaults.put("node", "node");
      Map<String, String> values = BenchSupport.options(args, defaults);
      try {
        List<String> systems = Arrays.stream(values.get("systems").split(",")).map(String::trim)
            .filter(name -> !name.isEmpty() && !name.equals("none")).toList();
        int halfLoadRate = Integer.parseInt(values.get("half-load-rate"));
        if (!List.of(CHAT_WORKER, BULLMQ, BULLMQ_PIPELINED).containsAll(systems)
            || (systems.isEmpty() && halfLoadRate <= 0)) {
          throw new IllegalArgumentException("unknown system in " + systems + " (none needs --half-load-rate)");
        }
        Settings settings = new Settings(Integer.parseInt(values.get("duration-seconds")),
            Integer.parseInt(values.get("warmup-seconds")), Integer.parseInt(values.get("rounds")),
            Integer.parseInt(values.get("concurrency")), Integer.parseInt(values.get("chats")),
            Integer.parseInt(values.get("assistants")), Integer.parseInt(values.get("outstanding")), systems,
            Boolean.parseBoolean(values.get("half-load")), halfLoadRate, Integer.parseInt(values.get("probe-latency-ms")),
            Integer.parseInt(values.get("probe-jobs")), Integer.parseInt(values.get("event-loops")),
            values.get("bullmq-dir"), values.get("node"));
        if (settings.durationSeconds < 1 || settings.warmupSeconds < 0 || settings.rounds < 1
            || settings.concurrency < 1 || settings.chats < settings.concurrency || settings.assistants < 1
            || settings.probeLatencyMs < 0 || settings.probeJobs < 1) {
          throw new IllegalArgumentException("durations, rounds and counts must be positive, chats >= concurrency");
        }
        return settings;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }
  }
}
