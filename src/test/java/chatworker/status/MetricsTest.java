package chatworker.status;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.testing.TestNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MetricsTest {

  private static final String PASSWORD = "secret-metrics-7f3a9c";
  private static final String NODE_ID = "status-node";
  private static final List<String> MEMBERS = List.of(NODE_ID, "other-node");

  /**
   * Call deadlines and health checks shorter than TestNode's (the settings these tests were written
   * with), so the breaker opens and closes again soon after Redis stops and restarts.
   */
  private static final JsonObject FAST_REDIS = new JsonObject().put("redis", new JsonObject()
      .put("defaultDeadlineMs", 1_000).put("healthCheckIntervalMs", 100));

  /** Every meter of ours, by the name of its TYPE line. */
  private static final List<String> OUR_METRICS = List.of(
      "chatworker_jobs_total", "chatworker_jobs_in_flight", "chatworker_job_duration_seconds",
      "chatworker_job_duration_seconds_max", "chatworker_redis_breaker_state", "chatworker_redis_connections",
      "chatworker_redis_connections_up", "chatworker_redis_commands_in_flight",
      "chatworker_redis_commands_max_in_flight", "chatworker_redis_auth_rejected",
      "chatworker_redis_ping_latency_seconds", "chatworker_redis_reconnects_total",
      "chatworker_redis_failures_total", "chatworker_cluster_members");

  @RegisterExtension
  static RedisExtension redisServer =
      new RedisExtension(RedisServer.Options.defaults().withAclUser("u", PASSWORD));

  /**
   * Verifies that after N successful generates and M that fail with NOT_FOUND, the job counters on
   * /metrics (counters and the duration histogram's counts) and on /status say exactly N and M, and
   * that the scrape is well-formed Prometheus text holding every meter of ours.
   */
  @Test
  @DisplayName("After N good and M NOT_FOUND generates, /metrics and /status count exactly N and M")
  void jobCountersMatchOnMetricsAndStatus() {
    int succeeded = 5;
    int notFound = 3;
    try (TestNode node = startNode(Vertx.vertx())) {
      String assistantId = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "counted"))
          .getString("id");
      List<Future<JsonObject>> jobs = new ArrayList<>();
      for (int i = 0; i < succeeded; i++) {
        String chatId = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId))
            .getString("id");
        jobs.add(node.request(Addresses.GENERATE,
            new JsonObject().put("chatId", chatId).put("text", "hi " + i)));
      }
      for (int i = 0; i < notFound; i++) {
        jobs.add(node.request(Addresses.GENERATE, new JsonObject().put("chatId", "no-such-chat-" + i)));
      }
      TestNode.awaitAll(jobs);
      assertThat(jobs.subList(0, succeeded)).allMatch(Future::succeeded);
      assertThat(jobs.subList(succeeded, jobs.size())).allMatch(job -> job.failed()
          && job.cause() instanceof ApiException e && e.code() == ErrorCode.NOT_FOUND);

      PrometheusText metrics = metrics(node);
      assertThat(metrics.types().keySet()).containsAll(OUR_METRICS);
      assertThat(metrics.types()).containsEntry("chatworker_job_duration_seconds", "histogram");
      assertThat(metrics.value("chatworker_jobs_total", "outcome", "succeeded", "code", "none"))
          .isEqualTo(succeeded);
      assertThat(metrics.value("chatworker_jobs_total", "outcome", "failed", "code", "NOT_FOUND"))
          .isEqualTo(notFound);
      assertThat(metrics.samples().stream().filter(s -> s.name().equals("chatworker_jobs_total"))
          .mapToDouble(PrometheusText.Sample::value).sum()).isEqualTo(succeeded + notFound);
      String durations = "chatworker_job_duration_seconds";
      assertThat(metrics.value(durations + "_count", "outcome", "succeeded", "code", "none"))
          .isEqualTo(succeeded);
      assertThat(metrics.value(durations + "_count", "outcome", "failed", "code", "NOT_FOUND"))
          .isEqualTo(notFound);
      assertThat(metrics.value(durations + "_bucket", "outcome", "succeeded", "code", "none", "le", "+Inf"))
          .isEqualTo(succeeded);
      assertThat(metrics.value("chatworker_jobs_in_flight")).isZero();
      assertThat(metrics.value("chatworker_cluster_members")).isEqualTo(MEMBERS.size());

      JsonObject jobsOnStatus = node.status().getJsonObject("jobs");
      assertThat(jobsOnStatus.getLong("succeeded")).isEqualTo(succeeded);
      assertThat(jobsOnStatus.getLong("failed")).isEqualTo(notFound);
      assertThat(jobsOnStatus.getJsonObject("failedByCode").getLong("NOT_FOUND")).isEqualTo(notFound);
      assertThat(jobsOnStatus.getInteger("inFlight")).isZero();
    }
  }

  /**
   * Verifies that the breaker's state shows on /status and /metrics: OPEN or HALF_OPEN once calls fail
   * with Redis stopped, CLOSED again after Redis restarts; and that /status lists the cluster members.
   */
  @Test
  @DisplayName("Breaker state on /status and /metrics: open while Redis is down, CLOSED after its restart")
  void breakerStateFollowsRedis() {
    try (TestNode node = startNode(Vertx.vertx())) {
      JsonObject status = node.status();
      assertThat(status.getString("nodeId")).isEqualTo(NODE_ID);
      assertThat(status.getJsonArray("clusterMembers").getList())
          .containsExactlyElementsOf(MEMBERS);
      assertThat(status.getJsonObject("redis").getString("breaker")).isEqualTo("CLOSED");
      assertThat(breakerGauge(metrics(node), "CLOSED")).isEqualTo(1);

      redisServer.server().stop();
      Await.until(() -> {
        failSomeCalls(node);
        return !"CLOSED".equals(node.status().getJsonObject("redis").getString("breaker"));
      }, Duration.ofSeconds(30), "breaker open on /status");
      assertThat(node.status().getJsonObject("redis").getString("breaker")).isIn("OPEN", "HALF_OPEN");
      // Each state is its own gauge, read on its own: retry until one scrape saw a single state.
      Await.until(() -> {
        PrometheusText metrics = metrics(node);
        return breakerGauge(metrics, "CLOSED") == 0
            && breakerGauge(metrics, "OPEN") + breakerGauge(metrics, "HALF_OPEN") == 1;
      }, Duration.ofSeconds(10), "breaker open on /metrics");
      assertThat(metrics(node).value("chatworker_redis_failures_total", "kind", "NOT_CONNECTED"))
          .isPositive();

      redisServer.server().restart();
      Await.until(() -> "CLOSED".equals(node.status().getJsonObject("redis").getString("breaker")),
          Duration.ofSeconds(30), "breaker closed on /status");
      Await.until(() -> breakerGauge(metrics(node), "CLOSED") == 1, Duration.ofSeconds(10),
          "breaker closed on /metrics");
      assertThat(metrics(node).value("chatworker_redis_reconnects_total")).isPositive();
    }
  }

  /**
   * Verifies that a Vert.x built the way the launcher's hook builds it reports Vert.x's and the JVM's
   * metrics into the registry /metrics serves, next to ours, and that undeploying the node removes
   * our meters and leaves Vert.x's.
   */
  @Test
  @DisplayName("With Metrics.vertxBuilder /metrics has Vert.x's and the JVM's meters; undeploy removes ours")
  void vertxAndJvmMetricsNextToOurs() {
    try (TestNode node = startNode(Metrics.vertxBuilder(new VertxOptions()).build())) {
      node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "measured"));
      PrometheusText metrics = metrics(node);
      assertThat(metrics.types().keySet()).containsAll(OUR_METRICS);
      assertThat(metrics.types().keySet()).anyMatch(name -> name.startsWith("vertx_eventbus_"));
      assertThat(metrics.types().keySet()).anyMatch(name -> name.startsWith("vertx_http_server_"));
      assertThat(metrics.types().keySet()).anyMatch(name -> name.startsWith("jvm_memory_"));

      MeterRegistry registry = BackendRegistries.getNow(Metrics.REGISTRY_NAME);
      node.undeploy();
      assertThat(registry.getMeters()).noneMatch(meter -> meter.getId().getName().startsWith("chatworker."));
      assertThat(registry.getMeters()).anyMatch(meter -> meter.getId().getName().startsWith("vertx."));
    }
  }

  /**
   * Verifies that neither /metrics nor /status shows the Redis password or URL, with Vert.x's metrics
   * on, after jobs and while Redis is down (failure reasons included).
   */
  @Test
  @DisplayName("Neither /metrics nor /status reveals the Redis password, up or down")
  void noSecretOnMetricsOrStatus() {
    try (TestNode node = startNode(Metrics.vertxBuilder(new VertxOptions()).build())) {
      String assistantId = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "quiet"))
          .getString("id");
      String chatId = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId))
          .getString("id");
      node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "anything secret?"));
      assertNoSecret(node);

      redisServer.server().stop();
      Await.until(() -> {
        failSomeCalls(node);
        return !"CLOSED".equals(node.status().getJsonObject("redis").getString("breaker"));
      }, Duration.ofSeconds(30), "breaker open");
      assertNoSecret(node);
      assertThat(node.get("/health/ready").body()).doesNotContain(PASSWORD);
    }
  }

  /** A node named {@link #NODE_ID} among {@link #MEMBERS}, on {@code vertx}, which it closes. */
  private static TestNode startNode(Vertx vertx) {
    return new TestNode(vertx, redisServer.server().url(), FAST_REDIS, NODE_ID, MEMBERS);
  }

  /** {@code GET /metrics}, checked to be 200 and well-formed Prometheus text. */
  private static PrometheusText metrics(TestNode node) {
    return PrometheusText.parse(node.body("/metrics"));
  }

  private void assertNoSecret(TestNode node) {
    for (String path : List.of("/metrics", "/status")) {
      HttpResponse<String> response = node.get(path);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).as(path).doesNotContain(PASSWORD).doesNotContain("redis://");
    }
  }

  private static double breakerGauge(PrometheusText metrics, String state) {
    return metrics.value("chatworker_redis_breaker_state", "state", state);
  }

  /** Ten reads at once, all bound to fail while Redis is down; waits for their answers. */
  private static void failSomeCalls(TestNode node) {
    List<Future<JsonObject>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(node.request(Addresses.CHATS_GET, new JsonObject().put("id", "chat-" + i)));
    }
    TestNode.awaitAll(calls);
  }
}
