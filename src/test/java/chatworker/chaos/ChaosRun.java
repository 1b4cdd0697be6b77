package chatworker.chaos;

import chatworker.api.Addresses;
import chatworker.cli.SubmitClient;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.HazelcastSetup;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The chaos run: Redis (AOF, fsync always) behind a fault proxy, N chat-worker node processes, and a
 * load client that joins the cluster as a lite member and runs the simulated users, while a schedule of
 * faults hits Redis and the nodes. Prints one JSON line per fault and a summary line on stdout, writes
 * {@code report.html} and {@code summary.json}, and exits 0 only when nothing was lost, crossed,
 * duplicated, acknowledged-but-missing or left locked. See docs/RELIABILITY.md.
 */
public final class ChaosRun {

  private ChaosRun() {}

  public static void main(String[] args) throws Exception {
    ChaosOptions options;
    try {
      options = ChaosOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos: " + e.getMessage());
      System.exit(2);
      return;
    }
    int exit;
    try {
      exit = run(options);
    } catch (Exception e) {
      e.printStackTrace();
      exit = 3;
    }
    System.out.flush();
    Runtime.getRuntime().halt(exit);
  }

  private static int run(ChaosOptions options) throws Exception {
    Path out = Path.of(options.outDir());
    Files.createDirectories(out);
    JsonObject config = new JsonObject(Files.readString(Path.of("conf/chat-worker.json")));
    config.getJsonObject("generation").put("lockLeaseMs", 3_000);
    config.getJsonObject("cluster").put("maxNoHeartbeatSeconds", 5).put("heartbeatIntervalSeconds", 1);
    config.getJsonObject("shutdown").put("drainTimeoutMs", 3_000);
    int connectionsPerNode = config.getJsonObject("redis").getInteger("connections");

    RedisServer redis = RedisServer.start(RedisServer.Options.defaults().withAppendOnly(true));
    FaultProxy proxy = FaultProxy.startFor(redis);
    NodeFleet fleet = new NodeFleet(options.nodes(), proxy.url(), out, config);
    Vertx vertx = null;
    try {
      System.err.printf("chaos: redis %s (proxy %s), starting %d nodes, cluster %s%n", redis.url(),
          proxy.url(), options.nodes(), fleet.clusterName);
      fleet.startAll(120_000);
      vertx = clientVertx(fleet);
      SubmitClient client = new SubmitClient(vertx, 10_000, 2);
      awaitServing(client);

      Ledger ledger = new Ledger();
      List<LoadUser> users = new ArrayList<>();
      List<Future<Void>> done = new ArrayList<>();
      for (int i = 0; i < options.users(); i++) {
        LoadUser user = new LoadUser(i, vertx, client, ledger, options.shortRun() ? 50 : 100);
        users.add(user);
        done.add(user.start());
      }
      long warmupMs = options.shortRun() ? 6_000 : 10_000;
      long tailMs = options.shortRun() ? 5_000 : 8_000;
      int faultSeconds = FaultSchedule.faultSeconds(options.faults(), options.longFaultSeconds(),
          options.nodes());
      int n = Math.max(1, options.faults().size());
      long spareMs = options.durationSeconds() * 1000L - warmupMs - tailMs - faultSeconds * 1000L;
      long gapMs = Math.max(3_000, spareMs / n);
      FaultSchedule schedule = new FaultSchedule(options, redis, proxy, fleet, ledger);
      Thread faults = new Thread(() -> schedule.run(warmupMs, gapMs), "chaos-faults");
      faults.start();
      NodeFleet.sleep(options.durationSeconds() * 1000L);
      faults.join();
      System.err.printf("chaos: t=%ds stopping the users%n", ledger.nowMs() / 1000);
      users.forEach(LoadUser::stop);
      Future.join(done).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      long loadEndMs = ledger.nowMs();

      System.err.printf("chaos: resending %d unanswered generates, then reading %d chats back%n",
          ledger.unanswered.size(), ledger.chats.size());
      Verifier verifier = new Verifier(new SubmitClient(vertx, 10_000, 3), ledger);
      verifier.resendUnanswered();
      // Locks first: reading thousands of chats takes longer than a lease, which would hide a leak.
      NodeFleet.sleep(1_000);
      JsonObject locks = Verifier.locks(redis, ledger);
      long leaseMs = config.getJsonObject("generation").getLong("lockLeaseMs");
      long lockCheckedAt = System.currentTimeMillis();
      verifier.checkChats();
      NodeFleet.sleep(Math.max(0, lockCheckedAt + leaseMs + 1_000 - System.currentTimeMillis()));
      int locksAfterLease = Verifier.locks(redis, ledger).getInteger("count");
      int connectionsAtEnd = redis.normalClientCount();
      List<JsonObject> faultList = new ArrayList<>(ledger.faults);
      int staleRunning = verifier.staleRunningRecords(faultList);

      List<JsonObject> buckets = ledger.buckets(loadEndMs);
      JsonArray faultRecords = recoveries(ledger, loadEndMs);
      JsonObject summary = summary(options, ledger, verifier, locks, connectionsAtEnd,
          options.nodes() * connectionsPerNode, faultRecords).put("locksAfterLease", locksAfterLease)
          .put("staleRunningRecords", staleRunning);
      for (int i = 0; i < faultRecords.size(); i++) {
        System.out.println(faultRecords.getJsonObject(i).encode());
      }
      System.out.println(summary.encode());
      Files.writeString(out.resolve("summary.json"),
          summary.copy().put("buckets", new JsonArray(buckets)).encodePrettily());
      Files.writeString(out.resolve("report.html"), HtmlReport.render(summary, buckets, faultRecords));
      System.err.printf("chaos: %s; report %s%n", summary.getBoolean("pass") ? "PASS" : "FAIL",
          out.resolve("report.html").toAbsolutePath());
      return summary.getBoolean("pass") ? 0 : 1;
    } finally {
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      fleet.close();
      proxy.close();
      redis.close();
    }
  }

  /** A clustered Vert.x that joins the nodes as a Hazelcast lite member (holds no data). */
  private static Vertx clientVertx(NodeFleet fleet) throws Exception {
    ClusterSettings settings = new ClusterSettings(fleet.clusterName, "127.0.0.1", NodeFleet.freePort(),
        List.of(fleet.members().split(",")), 1, 5);
    HazelcastClusterManager cm = HazelcastSetup.clusterManager(settings, true);
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setClusterPublicHost("127.0.0.1").setPort(0);
    return Vertx.builder().with(options).withClusterManager(cm).buildClustered()
        .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  /** Waits until the cluster answers a request (the client saw the nodes' consumers). */
  private static void awaitServing(SubmitClient client) {
    Await.until(() -> {
      try {
        Await.await(client.request(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "chaos probe")));
        return true;
      } catch (RuntimeException | AssertionError notYet) {
        return false;
      }
    }, Duration.ofSeconds(60), "the cluster to answer chat.assistants.create");
  }

  /**
   * Adds to each fault the time from its healing to the first success, and to the first second that
   * reaches 80 % of the baseline throughput (the median successes per second away from faults).
   */
  private static JsonArray recoveries(Ledger ledger, long endMs) {
    List<Long> ok = ledger.sortedEvents().stream().filter(e -> e.outcome().equals("OK"))
        .map(Ledger.Event::endMs).toList();
    List<JsonObject> all = new ArrayList<>(ledger.faults);
    // Baseline: the median of the seconds away from every fault (from 1 s before it to 2 s after it healed).
    int seconds = (int) (endMs / 1000);
    int[] perSecond = new int[seconds + 1];
    ok.forEach(t -> perSecond[(int) Math.min(seconds, t / 1000)]++);
    List<Integer> quiet = new ArrayList<>();
    for (int s = 2; s < seconds; s++) {
      long t0 = s * 1000L;
      boolean nearFault = all.stream().anyMatch(f -> t0 + 1000 > f.getLong("startMs") - 1_000
          && t0 < Math.max(f.getLong("healMs"), f.getLong("nodeReadyMs", 0L)) + 2_000);
      if (!nearFault) {
        quiet.add(perSecond[s]);
      }
    }
    quiet.sort(Integer::compare);
    double baseline = quiet.isEmpty() ? 0 : quiet.get(quiet.size() / 2);
    JsonArray result = new JsonArray();
    List<JsonObject> faults = new ArrayList<>(ledger.faults);
    for (int i = 0; i < faults.size(); i++) {
      JsonObject f = faults.get(i).copy();
      long heal = f.getLong("healMs");
      long limit = i + 1 < faults.size() ? faults.get(i + 1).getLong("startMs") : endMs;
      Long first = ok.stream().filter(t -> t >= heal).findFirst().orElse(null);
      f.put("healToFirstSuccessMs", first == null ? null : first - heal);
      Long full = null;
      for (long t = heal; t + 1_000 <= limit && full == null; t += 100) {
        long start = t;
        long count = ok.stream().filter(x -> x >= start && x < start + 1_000).count();
        if (count >= 0.8 * baseline) {
          full = t - heal;
        }
      }
      f.put("healToFullThroughputMs", full).put("baselinePerSecond", Math.round(baseline));
      result.add(f);
    }
    return result;
  }

  private static JsonObject summary(ChaosOptions options, Ledger ledger, Verifier v, JsonObject locks,
      int connectionsAtEnd, int configured, JsonArray faults) {
    Map<String, Integer> byCode = new TreeMap<>();
    long answered = 0;
    long succeeded = 0;
    for (Ledger.Event e : ledger.events) {
      if (e.outcome().equals("OK")) {
        succeeded++;
      } else {
        byCode.merge(e.outcome(), 1, Integer::sum);
      }
      if (!e.outcome().equals("NO_ANSWER") && !e.outcome().equals("CLIENT_ERROR")) {
        answered++;
      }
    }
    JsonObject failed = new JsonObject();
    byCode.forEach(failed::put);
    int crossTalk = ledger.crossTalk.size();
    int leaked = locks.getInteger("count");
    JsonObject unexpected = new JsonObject();
    List<String> unexpectedExamples = new ArrayList<>();
    ledger.unexpectedFailures.forEach((code, lines) -> {
      unexpected.put(code, lines.size());
      lines.stream().limit(3).forEach(line -> unexpectedExamples.add(code + " " + line));
    });
    int unexpectedCount = unexpected.stream().mapToInt(e -> (Integer) e.getValue()).sum();
    // After faults that must cost nothing (a rolling restart), any failure the users did not ask for fails the run.
    boolean costNothing = !options.faults().isEmpty()
        && FaultSchedule.COST_NOTHING.containsAll(options.faults());
    boolean pass = v.lost == 0 && crossTalk == 0 && v.duplicates == 0 && v.ackedButMissing == 0
        && leaked == 0 && (!costNothing || unexpectedCount == 0);
    JsonArray recovery = new JsonArray();
    faults.forEach(o -> {
      JsonObject f = (JsonObject) o;
      recovery.add(new JsonObject().put("fault", f.getString("fault"))
          .put("healToFirstSuccessMs", f.getValue("healToFirstSuccessMs"))
          .put("healToFullThroughputMs", f.getValue("healToFullThroughputMs")));
    });
    List<String> examples = new ArrayList<>(v.examples());
    ledger.crossTalk.stream().limit(10).forEach(examples::add);
    return new JsonObject().put("summary", true).put("nodes", options.nodes()).put("users", options.users())
        .put("durationSeconds", options.durationSeconds()).put("faults", new JsonArray(options.faults()))
        .put("requests", new JsonObject().put("sent", ledger.sent.get()).put("answered", answered)
            .put("succeeded", succeeded).put("failedByCode", failed))
        .put("unexpectedFailures", new JsonObject().put("count", unexpectedCount).put("byCode", unexpected)
            .put("mustBeZero", costNothing).put("examples", new JsonArray(unexpectedExamples)))
        .put("resentAtEnd", v.resent).put("recoveredAtEnd", v.recovered)
        .put("lost", v.lost).put("crossTalk", crossTalk).put("duplicates", v.duplicates)
        .put("ackedButMissing", v.ackedButMissing).put("leakedLocks", leaked)
        .put("lockKeys", locks.getJsonArray("keys"))
        .put("chatsChecked", ledger.chats.size()).put("unreadableChats", v.unreadableChats)
        .put("redisConnections",
            new JsonObject().put("atEnd", connectionsAtEnd).put("configured", configured))
        .put("recovery", recovery).put("examples", new JsonArray(examples)).put("pass", pass);
  }
}
