package chatworker.status;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.http.HttpSettings;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class StatusVerticleTest {

  private static final String PASSWORD = "status-Secret-42";

  @RegisterExtension
  RedisExtension redisServer =
      new RedisExtension(RedisServer.Options.defaults().withAclUser("node", PASSWORD));

  private final HttpClient http = HttpClient.newHttpClient();
  private Vertx vertx;
  private ResilientRedis redis;
  private int port;
  private StatusVerticle status;

  @BeforeEach
  void deploy() throws Exception {
    vertx = Vertx.vertx();
    redis = ResilientRedis.create(vertx, RedisSettings.fromJson(new JsonObject()
        .put("url", redisServer.server().url()).put("healthCheckIntervalMs", 100)
        .put("commandTimeoutMs", 300).put("readIdleTimeoutMs", 1_000)
        .put("breaker", new JsonObject().put("resetTimeoutMs", 200))
        .put("reconnect", new JsonObject().put("maxDelayMs", 200))));
    Metrics metrics = Metrics.forVertx(vertx).bindRedis(redis);
    status = new StatusVerticle(new HttpSettings("127.0.0.1", 0), 30_000,
        NodeSnapshot.of("node-1", () -> List.of("node-1"), redis, () -> new JsonObject().put("inFlight", 0), false),
        metrics.registry());
    await(redis.start().compose(v -> vertx.deployVerticle(status)));
    port = status.actualPort();
  }

  @AfterEach
  void undeploy() throws Exception {
    await(vertx.close());
  }

  /**
   * Verifies that readiness follows Redis: 200 while it answers, 503 with the reasons while it is
   * down, 200 again once it is back, while liveness stays 200 throughout.
   */
  /**
   * Verifies that once the node says it is stopping, readiness answers 503 with that reason while
   * Redis is fine, and liveness stays 200.
   */
  @Test
  @DisplayName("a stopping node is not ready, with the reason; still live")
  void stoppingNodeIsNotReady() {
    assertThat(get("/health/ready").statusCode()).isEqualTo(200);

    status.stopping();

    HttpResponse<String> notReady = get("/health/ready");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(notReady.body()).getJsonArray("reasons").getList()).containsExactly("the node is stopping");
    assertThat(get("/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("/health/ready follows Redis down and back; /health/live stays up")
  void readinessFollowsRedis() throws Exception {
    assertThat(get("/health/ready").statusCode()).isEqualTo(200);

    redisServer.server().stop();
    Await.until(() -> get("/health/ready").statusCode() == 503, Duration.ofSeconds(10), "not ready");
    HttpResponse<String> notReady = get("/health/ready");
    assertThat(new JsonObject(notReady.body()).getJsonArray("reasons").encode()).contains("Redis");
    assertThat(get("/health/live").statusCode()).isEqualTo(200);

    redisServer.server().restart();
    Await.until(() -> get("/health/ready").statusCode() == 200, Duration.ofSeconds(15), "ready again");
  }

  /** Verifies that /status reports the node, its cluster and the Redis layer, and never the password. */
  @Test
  @DisplayName("/status shows node, members and Redis state, and no secret")
  void statusShowsStateWithoutSecrets() throws Exception {
    HttpResponse<String> response = get("/status");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject status = new JsonObject(response.body());
    assertThat(status.getString("nodeId")).isEqualTo("node-1");
    assertThat(status.getJsonArray("clusterMembers").getList()).containsExactly("node-1");
    assertThat(status.getJsonObject("redis").getString("breaker")).isEqualTo("CLOSED");
    assertThat(status.getJsonObject("redis").getJsonObject("pool").getInteger("connectionsUp")).isEqualTo(4);
    assertThat(response.body()).doesNotContain(PASSWORD);
  }

  /**
   * Verifies that /metrics answers Prometheus text with the Redis layer's meters and no password, over
   * HTTP/1.1 even to a client asking to upgrade to h2c (the JDK client does; Vert.x 5.0.7's upgrade
   * garbles large responses).
   */
  @Test
  @DisplayName("/metrics serves Prometheus text with the Redis meters, over HTTP/1.1, and no secret")
  void metricsServePrometheusText() {
    HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    PrometheusText metrics = PrometheusText.parse(response.body());
    assertThat(metrics.value("chatworker_redis_breaker_state", "state", "CLOSED")).isEqualTo(1);
    assertThat(metrics.value("chatworker_redis_connections_up")).isEqualTo(4);
    assertThat(response.body()).doesNotContain(PASSWORD);
  }

  /** Verifies that unknown paths answer 404 and a wrong method 405, on /status and /metrics alike. */
  @Test
  @DisplayName("Unknown paths 404, wrong methods 405")
  void unknownPathsAndMethods() throws Exception {
    assertThat(get("/nope").statusCode()).isEqualTo(404);
    assertThat(get("/metrics/nope").statusCode()).isEqualTo(404);
    for (String path : List.of("/status", "/metrics", "/health/ready")) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri(path))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).as("POST " + path).isEqualTo(405);
    }
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

}
