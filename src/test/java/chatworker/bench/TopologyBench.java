package chatworker.bench;

import static chatworker.bench.BenchSupport.log;
import static chatworker.bench.BenchSupport.print;
import static chatworker.bench.BenchSupport.round3;
import static chatworker.testing.Await.await;

import chatworker.cli.NodeSettings;
import chatworker.cli.NodeVerticle;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generate throughput and latency of one in-process node (shipped configuration, builtin model
 * without token delay) on each Redis topology the node supports, in one run: a lone server (the
 * baseline), a master with a replica, Sentinel and Cluster, each without and with durable writes
 * ({@code -waitN}: {@code redis.durability.replicas} N). Not a test: run it with
 * {@code scripts/bench-topology.sh}.
 *
 * <p>Every deployment is started once and stays up for the run (see {@link RedisSetup}). Each phase
 * flushes its deployment, deploys a fresh node on a fresh Vert.x sized as the node sizes its own
 * ({@code node.eventLoops}), seeds assistants and chats and runs a {@link ClosedLoop} on it; the
 * configurations' order alternates between rounds, so the machine's drift is spread, and a measured
 * phase first waits (a while at most) for other processes to leave the machine fairly idle. Per phase it
 * also reads the node's WAIT count from /status (how well WAITs coalesce), what the masters ran and
 * the CPU of the masters, the replicas and this JVM.
 *
 * <p>stdout carries one JSON line per result and nothing else; logs go to stderr.
 */
public final class TopologyBench {

  private static final String BASELINE = "standalone";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Settings settings;
  private final PrintStream results;
  private final Map<RedisSetup.Kind, RedisSetup> setups = new EnumMap<>(RedisSetup.Kind.class);

  private TopologyBench(Settings settings, PrintStream results) {
    this.settings = settings;
    this.results = results;
  }

  /** Runs the benchmark; see {@link Settings#USAGE} for the arguments. */
  public static void main(String[] args) {
    PrintStream results = BenchSupport.resultsStream();
    Settings settings = BenchSupport.settingsOrExit(args, Settings::parse, Settings.USAGE);
    TopologyBench bench = new TopologyBench(settings, results);
    BenchSupport.runAndExit(bench::run, bench::closeSetups);
  }

  private void run() throws Exception {
    log("%s; %d cores, load average %s; %s", RedisServer.binaryDescription(),
        Runtime.getRuntime().availableProcessors(), BenchSupport.loadAverage(3), settings);
    startSetups();
    printIdleCost();

    // The JIT's first seconds are not the steady state: each configuration's code runs once first.
    for (Config config : settings.configs) {
      JsonObject warm = phase(config, 0, settings.warmupSeconds);
      log("warm-up %-16s %,8.0f jobs/s (not reported)", config.name, warm.getDouble("jobsPerSec"));
    }
    Map<String, List<JsonObject>> byConfig = new LinkedHashMap<>();
    for (int round = 1; round <= settings.rounds; round++) {
      Map<String, JsonObject> thisRound = round(round);
      // In the configurations' own order, each with its ratio to this round's baseline.
      for (Config config : settings.configs) {
        JsonObject result = thisRound.get(config.name);
        JsonObject baseline = thisRound.get(BASELINE);
        result.put("ratioToStandalone", baseline == null ? null
            : round3(result.getDouble("jobsPerSec") / baseline.getDouble("jobsPerSec")));
        print(results, result);
        byConfig.computeIfAbsent(config.name, c -> new ArrayList<>()).add(result);
      }
    }
    byConfig.forEach((config, rounds) -> print(results, summary(config, rounds)));
  }

  /** One measured phase per configuration, in reverse order every other round; results by configuration. */
  private Map<String, JsonObject> round(int round) throws Exception {
    List<Config> order = new ArrayList<>(settings.configs);
    if (round % 2 == 0) {
      Collections.reverse(order);
    }
    Map<String, JsonObject> results = new LinkedHashMap<>();
    for (Config config : order) {
      double waited = awaitQuietMachine();
      JsonObject result = phase(config, settings.warmupSeconds, settings.durationSeconds).put("round", round)
          .put("waitedForQuietSeconds", round3(waited));
      log("round %d/%d %-16s %,8.0f jobs/s  p50 %.3f ms  p99 %.3f ms  errors %s  WAITs/job %s"
          + "  CPU/job us: masters %.0f, replicas %.0f, client %.0f; machine %d%% busy, others %d%%, load %s",
          round, settings.rounds, config.name, result.getDouble("jobsPerSec"), result.getDouble("p50Ms"),
          result.getDouble("p99Ms"), result.getJsonObject("errorsByCode").encode(), result.getValue("waitsPerJob"),
          result.getDouble("masterCpuUsPerJob"), result.getDouble("replicaCpuUsPerJob"),
          result.getDouble("clientCpuUsPerJob"), result.getLong("machineBusyPct"), result.getLong("othersCpuPct"),
          result.getString("loadAverage"));
      results.put(config.name, result);
    }
    return results;
  }

  // ---- the deployments ---------------------------------------------------------------------------

  private void startSetups() {
    for (Config config : settings.configs) {
      if (!setups.containsKey(config.setup)) {
        long start = System.nanoTime();
        RedisSetup setup = RedisSetup.start(config.setup);
        setups.put(config.setup, setup);
        setup.persistence(settings.persistence);
        log("%s up in %.1f s: masters %s, replicas %s", setup.label(), (System.nanoTime() - start) / 1e9,
            ports(setup.masters()), ports(setup.replicas()));
      }
    }
  }

  /** What the idle deployments cost while another one is measured: Redis CPU over 5 s, as % of a core. */
  private void printIdleCost() throws InterruptedException {
    Map<RedisSetup.Kind, Double> before = new EnumMap<>(RedisSetup.Kind.class);
    setups.forEach((kind, setup) -> before.put(kind, Counters.redisCpuSeconds(setup.dataNodes())));
    long start = System.nanoTime();
    Thread.sleep(5_000);
    double seconds = (System.nanoTime() - start) / 1e9;
    JsonObject idle = new JsonObject();
    setups.forEach((kind, setup) -> idle.put(setup.label(),
        round3(100 * (Counters.redisCpuSeconds(setup.dataNodes()) - before.get(kind)) / seconds)));
    print(results, new JsonObject().put("bench", "topology-idle").put("redisCpuPctOfACore", idle)
        .put("persistence", settings.persistence.name().toLowerCase())
        .put("loadAverage", BenchSupport.loadAverage(3)));
  }

  /**
   * On a shared machine, lets a measured phase start outside another job's burst: waits until other
   * processes use less than {@code --quiet-percent} of the machine over 2 s (this JVM and every data
   * node of ours left out), for {@code --quiet-wait-seconds} at most. Returns the seconds it took,
   * samples included (2: quiet at once).
   */
  private double awaitQuietMachine() throws InterruptedException {
    if (settings.quietPercent >= 100) {
      return 0;
    }
    List<RedisServer> ours = setups.values().stream().flatMap(setup -> setup.dataNodes().stream()).toList();
    long start = System.nanoTime();
    while (true) {
      Counters before = Counters.read(List.of(), ours);
      Thread.sleep(2_000);
      Counters after = Counters.read(List.of(), ours);
      double others = Counters.othersPct(before, after, after.redisCpuSeconds() - before.redisCpuSeconds());
      double waited = (System.nanoTime() - start) / 1e9;
      if (others < settings.quietPercent) {
        return waited;
      }
      if (waited >= settings.quietWaitSeconds) {
        log("others still use %.0f%% of the machine after %.0f s: measuring anyway", others, waited);
        return waited;
      }
      log("others use %.0f%% of the machine (load %s): waiting for under %d%%", others,
          BenchSupport.loadAverage(1), settings.quietPercent);
    }
  }

  private void closeSetups() {
    setups.values().forEach(RedisSetup::close);
  }

  private static List<Integer> ports(List<RedisServer> servers) {
    return servers.stream().map(RedisServer::port).toList();
  }

  // ---- one phase ---------------------------------------------------------------------------------

  /**
   * A fresh node on {@code config}'s deployment: {@code warmupSeconds} of load, then
   * {@code durationSeconds} measured.
   */
  private JsonObject phase(Config config, int warmupSeconds, int durationSeconds) throws Exception {
    RedisSetup setup = setups.get(config.setup);
    setup.flush();
    JsonObject nodeConfig = nodeConfig(config, setup);
    Vertx vertx = Vertx.vertx(NodeSettings.fromJson(nodeConfig.getJsonObject("node", new JsonObject()))
        .applyTo(new VertxOptions()));
    try {
      String nodeId = "bench-" + config.name;
      NodeVerticle node = new NodeVerticle(nodeConfig, nodeId, () -> List.of(nodeId));
      await(vertx.deployVerticle(node));
      List<String> chats = BenchChats.seed(vertx, settings.assistants, settings.chats);
      ClosedLoop load = new ClosedLoop(vertx, config.name, chats, settings.concurrency);
      load.start();
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));

      Counters before = Counters.read(setup.masters(), setup.masters());
      double replicaCpuBefore = Counters.redisCpuSeconds(setup.replicas());
      JsonObject durabilityBefore = durability(node);
      load.startRecording();
      Thread.sleep(TimeUnit.SECONDS.toMillis(durationSeconds));
      load.stopRecording();
      Counters after = Counters.read(setup.masters(), setup.masters());
      double replicaCpu = Counters.redisCpuSeconds(setup.replicas()) - replicaCpuBefore;
      JsonObject durabilityAfter = durability(node);
      ClosedLoop.Result run = load.drain();
      if (!run.errorsOutside().isEmpty()) {
        log("%s: errors outside the measured window (warm-up, drain): %s", config.name, run.errorsOutside());
      }

      long jobs = Math.max(1, run.jobs());
      JsonObject cpu = Counters.cpu(before, after, jobs);
      Map<String, Long> commands = Counters.delta(before.calls(), after.calls());
      JsonObject byType = new JsonObject();
      commands.forEach((name, calls) -> byType.put(name, round3((double) calls / jobs)));
      long waits = durabilityAfter.getLong("waits") - durabilityBefore.getLong("waits");
      long shortfalls = durabilityAfter.getLong("waitShortfalls") - durabilityBefore.getLong("waitShortfalls");
      long commandCount = commands.values().stream().mapToLong(Long::longValue).sum();
      return new JsonObject()
          .put("bench", "topology")
          .put("config", config.name)
          .put("mode", config.setup.mode)
          .put("durabilityReplicas", config.durableReplicas)
          .put("jobsPerSec", Math.round(run.jobsPerSec()))
          .put("p50Ms", round3(run.p50Ms()))
          .put("p99Ms", round3(run.p99Ms()))
          .put("errors", run.errors())
          .put("errorsByCode", new JsonObject(new TreeMap<>(run.errorsByCode())))
          .put("waitsPerJob", round3((double) waits / jobs))
          .put("waitShortfalls", shortfalls)
          .put("masterCommandsPerJob", round3((double) commandCount / jobs))
          .put("masterCommandsByType", byType)
          .put("masterCpuUsPerJob", cpu.getDouble("redisCpuUsPerJob"))
          .put("replicaCpuUsPerJob", round3(replicaCpu * 1e6 / jobs))
          .put("clientCpuUsPerJob", cpu.getDouble("clientCpuUsPerJob"))
          .put("machineBusyPct", cpu.getLong("machineBusyPct"))
          .put("othersCpuPct", Math.round(Counters.othersPct(before, after,
              after.redisCpuSeconds() - before.redisCpuSeconds() + replicaCpu)))
          .put("durationSeconds", round3(run.seconds()))
          .put("loadAverage", BenchSupport.loadAverage(3));
    } finally {
      await(vertx.close());
    }
  }

  /**
   * The shipped configuration, pointed at {@code setup} in its mode, with {@code config}'s durability
   * (and {@code --event-loops} when set).
   */
  private JsonObject nodeConfig(Config config, RedisSetup setup) throws IOException {
    JsonObject node = BenchSupport.shippedNodeConfig(setup.url());
    if (settings.eventLoops > 0) {
      node.put("node", node.getJsonObject("node", new JsonObject()).put("eventLoops", settings.eventLoops));
    }
    JsonObject redis = node.getJsonObject("redis");
    redis.put("mode", config.setup.mode).put("masterName", SentinelTopology.MASTER_NAME);
    redis.put("durability",
        redis.getJsonObject("durability", new JsonObject()).put("replicas", config.durableReplicas));
    return node;
  }

  /** {@code redis.topology.durability} of the node's /status: its WAITs and their shortfalls so far. */
  private static JsonObject durability(NodeVerticle node) throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonObject status = new JsonObject(response.body());
    return status.getJsonObject("redis").getJsonObject("topology").getJsonObject("durability");
  }

  // ---- the summary -------------------------------------------------------------------------------

  /** A configuration's medians over the rounds, with the median of its per-round ratios to the baseline. */
  private static JsonObject summary(String config, List<JsonObject> rounds) {
    Map<String, Integer> errorsByCode = new TreeMap<>();
    rounds.forEach(r -> r.getJsonObject("errorsByCode").forEach(e -> errorsByCode.merge(e.getKey(),
        ((Number) e.getValue()).intValue(), Integer::sum)));
    List<JsonObject> withRatio =
        rounds.stream().filter(r -> r.getValue("ratioToStandalone") != null).toList();
    JsonObject last = rounds.get(rounds.size() - 1);
    return new JsonObject()
        .put("bench", "topology")
        .put("summary", "median of rounds")
        .put("config", config)
        .put("mode", last.getString("mode"))
        .put("durabilityReplicas", last.getInteger("durabilityReplicas"))
        .put("rounds", rounds.size())
        .put("jobsPerSec", Math.round(median(rounds, "jobsPerSec")))
        .put("p50Ms", round3(median(rounds, "p50Ms")))
        .put("p99Ms", round3(median(rounds, "p99Ms")))
        .put("ratioToStandalone", withRatio.isEmpty() ? null : round3(median(withRatio, "ratioToStandalone")))
        .put("ratioByRound",
            new JsonArray(withRatio.stream().map(r -> r.getDouble("ratioToStandalone")).toList()))
        .put("jobsPerSecByRound", new JsonArray(rounds.stream().map(r -> r.getLong("jobsPerSec")).toList()))
        .put("errors", rounds.stream().mapToLong(r -> r.getLong("errors")).sum())
        .put("errorsByCode", new JsonObject(new TreeMap<>(errorsByCode)))
        .put("waitsPerJob", round3(median(rounds, "waitsPerJob")))
        .put("waitShortfalls", rounds.stream().mapToLong(r -> r.getLong("waitShortfalls")).sum())
        .put("masterCommandsPerJob", round3(median(rounds, "masterCommandsPerJob")))
        .put("masterCpuUsPerJob", round3(median(rounds, "masterCpuUsPerJob")))
        .put("replicaCpuUsPerJob", round3(median(rounds, "replicaCpuUsPerJob")))
        .put("clientCpuUsPerJob", round3(median(rounds, "clientCpuUsPerJob")))
        .put("masterCommandsByType", last.getJsonObject("masterCommandsByType"));
  }

  private static double median(List<JsonObject> rounds, String field) {
    return BenchSupport.median(rounds, r -> r.getDouble(field));
  }

  // ---- the command line --------------------------------------------------------------------------

  /**
   * A configuration: {@code standalone}, {@code sentinel} or {@code cluster}, with {@code -waitN} for
   * {@code redis.durability.replicas} N. Plain {@code standalone} is one server; with a wait, a
   * master and its replica.
   */
  private record Config(String name, RedisSetup.Kind setup, int durableReplicas) {

    private static final Pattern NAME = Pattern.compile("(standalone|sentinel|cluster)(?:-wait(\\d+))?");

    static Config parse(String name) {
      Matcher m = NAME.matcher(name);
      if (!m.matches()) {
        throw new IllegalArgumentException("unknown configuration " + name);
      }
      int replicas = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
      RedisSetup.Kind setup = switch (m.group(1)) {
        case "sentinel" -> RedisSetup.Kind.SENTINEL;
        case "cluster" -> RedisSetup.Kind.CLUSTER;
        default -> replicas == 0 ? RedisSetup.Kind.LONE : RedisSetup.Kind.PAIR;
      };
      if (replicas > setup.replicasPerMaster) {
        throw new IllegalArgumentException(
            name + ": its masters have " + setup.replicasPerMaster + " replica(s)");
      }
      return new Config(name, setup, replicas);
    }
  }

  /** Command-line settings. */
  private record Settings(int durationSeconds, int warmupSeconds, int rounds, int concurrency, int chats,
      int assistants, List<Config> configs, RedisSetup.Persistence persistence, int eventLoops, int quietPercent,
      int quietWaitSeconds) {

    static final String USAGE = "usage: TopologyBench [--duration-seconds 15] [--warmup-seconds 5] [--rounds 3]"
        + " [--concurrency 64] [--chats 1000] [--assistants 10]"
        + " [--configs standalone,standalone-wait1,sentinel,sentinel-wait1,cluster,cluster-wait1]"
        + " [--persistence none|everysec|always] [--event-loops 0] [--quiet-percent 25]"
        + " [--quiet-wait-seconds 120]";

    static Settings parse(String[] args) {
      Map<String, String> defaults = new LinkedHashMap<>();
      defaults.put("duration-seconds", "15");
      defaults.put("warmup-seconds", "5");
      defaults.put("rounds", "3");
      defaults.put("concurrency", "64");
      defaults.put("chats", "1000");
      defaults.put("assistants", "10");
      defaults.put("configs", "standalone,standalone-wait1,sentinel,sentinel-wait1,cluster,cluster-wait1");
      defaults.put("persistence", "none");
      defaults.put("event-loops", "0");
      defaults.put("quiet-percent", "25");
      defaults.put("quiet-wait-seconds", "120");
      Map<String, String> values = BenchSupport.options(args, defaults);
      try {
        List<Config> configs = Arrays.stream(values.get("configs").split(",")).map(String::trim)
            .filter(name -> !name.isEmpty()).distinct().map(Config::parse).toList();
        Settings settings = new Settings(Integer.parseInt(values.get("duration-seconds")),
            Integer.parseInt(values.get("warmup-seconds")), Integer.parseInt(values.get("rounds")),
            Integer.parseInt(values.get("concurrency")), Integer.parseInt(values.get("chats")),
            Integer.parseInt(values.get("assistants")), configs,
            RedisSetup.Persistence.parse(values.get("persistence")),
            Integer.parseInt(values.get("event-loops")), Integer.parseInt(values.get("quiet-percent")),
            Integer.parseInt(values.get("quiet-wait-seconds")));
        if (settings.durationSeconds < 1 || settings.warmupSeconds < 0 || settings.rounds < 1
            || settings.concurrency < 1 || settings.chats < settings.concurrency || settings.assistants < 1
            || configs.isEmpty() || settings.eventLoops < 0 || settings.quietWaitSeconds < 0) {
          throw new IllegalArgumentException("durations, rounds and counts must be positive, chats >= concurrency,"
              + " and there must be a configuration");
        }
        return settings;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a number: " + e.getMessage());
      }
    }

    @Override
    public String toString() {
      return "duration " + durationSeconds + " s, warm-up " + warmupSeconds + " s, " + rounds + " rounds, "
          + concurrency + " callers, " + chats + " chats, persistence " + persistence.name().toLowerCase()
          + ", event loops " + (eventLoops == 0 ? "node.eventLoops" : eventLoops)
          + (quietPercent >= 100 ? ""
              : ", waiting up to " + quietWaitSeconds + " s for others under " + quietPercent + " %")
          + ", configs " + configs.stream().map(Config::name).toList();
    }
  }
}
