package chatworker.chaos;

import chatworker.api.Addresses;
import chatworker.cli.SubmitClient;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.EventBusSetup;
import chatworker.cluster.HazelcastSetup;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import chatworker.tls.PemFiles;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The chaos run: Redis (standalone with AOF and fsync always behind a fault proxy, a Sentinel topology
 * or a Redis Cluster, see {@link RedisUnderTest}), N chat-worker node processes, and a load client that
 * runs the simulated users, while a schedule of faults hits Redis and the nodes. The users come in by
 * the clustered event bus, the client joining the cluster as a lite member ({@code --via eventbus}),
 * or by the nodes' HTTP API, each user on a node of its own while that node is up
 * ({@code --via http}, {@link HttpApiClient}); the checks at the end go the same way. Prints one
 * JSON line per fault and a summary line on stdout, writes {@code report.html} and
 * {@code summary.json}, and exits 0 only when nothing was lost, crossed, duplicated,
 * acknowledged-but-missing or left locked, and every fault happened. See docs/RELIABILITY.md.
 */
public final class ChaosRun {

  /**
   * How long an HTTP user waits for an answer to start (its response head) before it counts as none
   * (and a generate is sent again by its Idempotency-Key): longer than the API's own wait for the
   * cluster ({@code http.requestTimeoutMs}, 10 s), so that the node's own answer (504) comes first.
   */
  private static final long HTTP_IDLE_TIMEOUT_MS = 15_000;

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

    RedisUnderTest redis = RedisUnderTest.start(options);
    NodeFleet fleet = null;
    Vertx vertx = null;
    HttpNodes httpNodes = null;
    try {
      config.getJsonObject("redis").mergeIn(redis.nodeSettings(options.durability()), true);
      fleet = new NodeFleet(options.nodes(), redis.url(), out, config);
      System.err.printf("chaos: %s, durability %d, starting %d nodes, cluster %s, users via %s%n",
          redis.describe(), options.durability(), options.nodes(), fleet.clusterName, options.via());
      fleet.startAll(120_000);
      ChaosClient client;
      if (options.viaHttp()) {
        vertx = Vertx.vertx();
        // Every user has one request in flight at most, and may cancel beside it.
        httpNodes = new HttpNodes(vertx, fleet.httpPorts, 2 * options.users() + 4);
        client = new HttpApiClient(vertx, httpNodes, 0, HTTP_IDLE_TIMEOUT_MS, 2);
      } else {
        vertx = clientVertx(fleet);
        client = ChaosClient.eventBus(vertx, new SubmitClient(vertx, 10_000, 2));
      }
      awaitServing(client);

      Ledger ledger = new Ledger();
      List<LoadUser> users = new ArrayList<>();
      List<Future<Void>> done = new ArrayList<>();
      for (int i = 0; i < options.users(); i++) {
        ChaosClient userClient = options.viaHttp()
            ? new HttpApiClient(vertx, httpNodes, i, HTTP_IDLE_TIMEOUT_MS, 2) : client;
        LoadUser user = new LoadUser(i, vertx, userClient, ledger, options.shortRun() ? 50 : 100);
        users.add(user);
        done.add(user.start());
      }
      long warmupMs = options.shortRun() ? 6_000 : 10_000;
      long tailMs = options.shortRun() ? 5_000 : 8_000;
      int faultSeconds = FaultSchedule.faultSeconds(options);
      int n = Math.max(1, options.faults().size());
      long spareMs = options.durationSeconds() * 1000L - warmupMs - tailMs - faultSeconds * 1000L;
      long gapMs = Math.max(3_000, spareMs / n);
      FaultSchedule schedule = new FaultSchedule(options, redis, fleet, ledger);
      Thread faults = new Thread(() -> schedule.run(warmupMs, gapMs), "chaos-faults");
      faults.start();
      NodeFleet.sleep(options.durationSeconds() * 1000L);
      faults.join();
      // The baseline and the recovery are measured up to here: a user still waiting for its last
      // answer after the stop (up to a request's timeout) would add seconds without successes.
      long stopMs = ledger.nowMs();
      System.err.printf("chaos: t=%ds stopping the users%n", stopMs / 1000);
      users.forEach(LoadUser::stop);
      Future.join(done).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      long loadEndMs = ledger.nowMs();

      System.err.printf("chaos: resending %d unanswered generates, then reading %d chats back%n",
          ledger.unanswered.size(), ledger.chats.size());
      Verifier verifier = new Verifier(options.viaHttp()
          ? new HttpApiClient(vertx, httpNodes, 0, HTTP_IDLE_TIMEOUT_MS, 3)
          : ChaosClient.eventBus(vertx, new SubmitClient(vertx, 10_000, 3)), ledger);
      verifier.resendUnanswered();
      // Locks first: reading thousands of chats takes longer than a lease, which would hide a leak.
      NodeFleet.sleep(1_000);
      JsonObject locks = Verifier.locks(redis, ledger);
      long leaseMs = config.getJsonObject("generation").getLong("lockLeaseMs");
      long lockCheckedAt = System.currentTimeMillis();
      verifier.checkChats();
      int ackedMissingInRedis = verifier.checkAckedInRedis(redis);
      NodeFleet.sleep(Math.max(0, lockCheckedAt + leaseMs + 1_000 - System.currentTimeMillis()));
      int locksAfterLease = Verifier.locks(redis, ledger).getInteger("count");
      JsonObject connections = connections(redis, options.nodes() * connectionsPerNode, out);
      List<JsonObject> faultList = new ArrayList<>(ledger.faults);
      int staleRunning = verifier.staleRunningRecords(faultList);

      List<JsonObject> buckets = ledger.buckets(loadEndMs);
      JsonArray faultRecords = Recovery.of(ledger, stopMs);
      JsonObject summary = summary(options, ledger, verifier, locks, ackedMissingInRedis, connections,
          faultRecords).put("locksAfterLease", locksAfterLease).put("staleRunningRecords", staleRunning);
      for (int i = 0; i < faultRecords.size(); i++) {
        System.out.println(faultRecords.getJsonObject(i).encode());
      }
      System.out.println(summary.encode());
      Files.writeString(out.resolve("summary.json"),
          summary.copy().put("buckets", new JsonArray(buckets)).encodePrettily());
      Files.writeString(out.resolve("report.html"), HtmlReport.render(summary, buckets, faultRecords));
      // Every failure the users did not ask for, one a line by code (the summary shows three per code).
      StringBuilder failures = new StringBuilder();
      ledger.unexpectedFailures.forEach((code, lines) -> lines.forEach(l -> failures.append(code).append(' ')
          .append(l.replace('\n', ' ')).append('\n')));
      Files.writeString(out.resolve("unexpected-failures.txt"), failures);
      System.err.printf("chaos: %s; report %s%n", summary.getBoolean("pass") ? "PASS" : "FAIL",
          out.resolve("report.html").toAbsolutePath());
      return summary.getBoolean("pass") ? 0 : 1;
    } finally {
      if (httpNodes != null) {
        httpNodes.close();
      }
      if (vertx != null) {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      if (fleet != null) {
        fleet.close();
      }
      redis.saveLogs(out);
      redis.close();
    }
  }

  /** A clustered Vert.x that joins the nodes as a Hazelcast lite member (holds no data). */
  private static Vertx clientVertx(NodeFleet fleet) throws Exception {
    // scripts/chaos.sh --tls exports the nodes' TLS settings; the client joins with its own certificate.
    String clientCert = System.getenv("CHATWORKER_CHAOS_CLIENT_TLS_CERT");
    ClusterSettings settings = new ClusterSettings(fleet.clusterName, "127.0.0.1", NodeFleet.freePort(),
        List.of(fleet.members().split(",")), 1, 5).withTls(clientCert == null ? null
            : new PemFiles(clientCert, System.getenv("CHATWORKER_CHAOS_CLIENT_TLS_KEY"),
                System.getenv("CHATWORKER_CLUSTER_TLS_CA")));
    HazelcastClusterManager cm = HazelcastSetup.clusterManager(settings, true);
    VertxOptions options = EventBusSetup.configure(new VertxOptions(), settings);
    return Vertx.builder().with(options).withClusterManager(cm).buildClustered()
        .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  /** Waits until the cluster answers a request (the client saw the nodes' consumers). */
  private static void awaitServing(ChaosClient client) {
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
   * Normal clients on the masters at the end (the fixtures' own connections and the sentinels' links
   * left out), against what the nodes' pools hold: {@code nodes × redis.connections} on each master.
   * Their CLIENT LIST lines go to {@code redis-clients.txt}, to tell a leak from a pool.
   */
  private static JsonObject connections(RedisUnderTest redis, int perMasterConfigured, Path out)
      throws IOException {
    JsonObject perMaster = new JsonObject();
    StringBuilder lines = new StringBuilder();
    int total = 0;
    List<RedisServer> masters = redis.masters();
    for (RedisServer master : masters) {
      List<String> clients = Arrays.stream(master.command("CLIENT", "LIST", "TYPE", "normal").split("\n"))
          .filter(line -> !line.isBlank() && !line.contains(" name=fixture-") && !line.contains(" name=sentinel-"))
          .toList();
      perMaster.put(String.valueOf(master.port()), clients.size());
      total += clients.size();
      clients.forEach(c -> lines.append(master.port()).append(' ').append(c).append('\n'));
    }
    Files.writeString(out.resolve("redis-clients.txt"), lines);
    return new JsonObject().put("atEnd", total).put("configured", perMasterConfigured * masters.size())
        .put("perMaster", perMaster);
  }

  private static JsonObject summary(ChaosOptions options, Ledger ledger, Verifier v, JsonObject locks,
      int ackedMissingInRedis, JsonObject connections, JsonArray faults) {
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
    // A fault that could not be injected proves nothing: the run fails with it.
    long faultErrors = faults.stream().filter(f -> ((JsonObject) f).containsKey("error")).count();
    boolean pass = v.lost == 0 && crossTalk == 0 && v.duplicates == 0 && v.ackedButMissing == 0
        && ackedMissingInRedis == 0 && leaked == 0 && faultErrors == 0 && (!costNothing || unexpectedCount == 0);
    JsonArray recovery = new JsonArray();
    faults.forEach(o -> {
      JsonObject f = (JsonObject) o;
      JsonObject r = new JsonObject().put("fault", f.getString("fault"));
      for (String k : List.of("faultToFirstSuccessMs", "faultToFullThroughputMs", "healToFirstSuccessMs",
          "healToFullThroughputMs")) {
        r.put(k, f.getValue(k));
      }
      recovery.add(r);
    });
    List<String> examples = new ArrayList<>(v.examples());
    ledger.crossTalk.stream().limit(10).forEach(examples::add);
    return new JsonObject().put("summary", true).put("via", options.via()).put("redis", options.redis())
        .put("durabilityReplicas", options.durability()).put("nodes", options.nodes()).put("users", options.users())
        .put("durationSeconds", options.durationSeconds()).put("faults", new JsonArray(options.faults()))
        .put("requests", new JsonObject().put("sent", ledger.sent.get()).put("answered", answered)
            .put("succeeded", succeeded).put("failedByCode", failed))
        .put("unexpectedFailures", new JsonObject().put("count", unexpectedCount).put("byCode", unexpected)
            .put("mustBeZero", costNothing).put("examples", new JsonArray(unexpectedExamples)))
        .put("resentAtEnd", v.resent).put("recoveredAtEnd", v.recovered)
        .put("lost", v.lost).put("crossTalk", crossTalk).put("duplicates", v.duplicates)
        .put("ackedButMissing", v.ackedButMissing).put("ackedButMissingInRedis", ackedMissingInRedis)
        .put("ackedButMissingBy", new JsonObject(new LinkedHashMap<>(v.missingByWindow)))
        .put("leakedLocks", leaked).put("faultErrors", faultErrors)
        .put("lockKeys", locks.getJsonArray("keys"))
        .put("chatsChecked", ledger.chats.size()).put("unreadableChats", v.unreadableChats)
        .put("redisConnections", connections)
        .put("recovery", recovery).put("examples", new JsonArray(examples)).put("pass", pass);
  }
}
