package chatworker.status;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisHealth;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NodeSnapshotTest {

  private static final long STARTED_AT = 1_765_000_000_000L;

  private final AtomicReference<RedisHealth> health = new AtomicReference<>(health("CLOSED", 4, 0.4, false));
  private final JsonObject jobs = new JsonObject().put("inFlight", 2).put("succeeded", 40).put("failed", 3)
      .put("cancelled", 1).put("failedByCode", new JsonObject().put("TIMEOUT", 2).put("MODEL_ERROR", 1)
          .put("CANCELLED", 1).put("NOT_FOUND", 0));
  private final NodeSnapshot node = new NodeSnapshot("node-a", () -> List.of("node-b", "node-a"), health::get,
      () -> new JsonObject().put("mode", "standalone"), () -> jobs.copy(), true, STARTED_AT);

  /**
   * Verifies that /status holds the contract's fields as before (node, members, Redis with its
   * topology, jobs) plus ready, models, startedAt and tls (clear text until told otherwise).
   */
  @Test
  @DisplayName("status: the contract's fields plus ready, models, startedAt and tls")
  void statusHasTheContractFieldsAndTheConsoleOnes() {
    JsonObject status = node.status();

    assertThat(status.fieldNames()).containsExactlyInAnyOrder("nodeId", "clusterMembers", "redis", "jobs",
        "ready", "models", "startedAt", "tls");
    assertThat(status.getString("nodeId")).isEqualTo("node-a");
    assertThat(status.getJsonArray("clusterMembers").getList()).containsExactly("node-b", "node-a");
    assertThat(status.getJsonObject("redis").getString("breaker")).isEqualTo("CLOSED");
    assertThat(status.getJsonObject("redis").getJsonObject("topology").getString("mode")).isEqualTo("standalone");
    assertThat(status.getJsonObject("jobs")).isEqualTo(jobs);
    assertThat(status.getJsonObject("ready")).isEqualTo(new JsonObject("{\"status\":\"UP\",\"reasons\":[]}"));
    assertThat(status.getJsonObject("models")).isEqualTo(new JsonObject("{\"builtin\":true,\"openai\":true}"));
    assertThat(status.getLong("startedAt")).isEqualTo(STARTED_AT);
    assertThat(status.getJsonObject("tls"))
        .isEqualTo(new JsonObject("{\"eventBus\":false,\"certificateValidUntil\":null,\"https\":false}"));
  }

  /** Verifies that /status says what is encrypted once the node is told: the event bus until when, HTTPS. */
  @Test
  @DisplayName("status: tls names the event bus certificate's end and HTTPS")
  void statusSaysWhatIsEncrypted() {
    node.tls(Instant.parse("2027-01-01T00:00:00Z"), true);

    assertThat(node.status().getJsonObject("tls")).isEqualTo(new JsonObject(
        "{\"eventBus\":true,\"certificateValidUntil\":\"2027-01-01T00:00:00Z\",\"https\":true}"));
  }

  /**
   * Verifies that readiness gives every reason at once (stopping, no connection, breaker not closed,
   * refused credentials), and that /status's ready and a sample's ready say the same.
   */
  @Test
  @DisplayName("readiness: every reason, the same in status and in a sample")
  void readinessGivesEveryReasonAndAgreesEverywhere() {
    health.set(health("OPEN", 0, -1, false));
    node.stopping();

    Readiness readiness = node.readiness();

    assertThat(readiness.up()).isFalse();
    assertThat(readiness.reasons()).containsExactly("the node is stopping", "no connection to Redis",
        "Redis circuit breaker is OPEN");
    assertThat(node.status().getJsonObject("ready")).isEqualTo(readiness.toJson());
    assertThat(node.sample(1).getBoolean("ready")).isFalse();

    health.set(health("HALF_OPEN", 0, -1, true));
    assertThat(node.readiness().reasons()).contains("Redis refused the configured credentials",
        "Redis circuit breaker is HALF_OPEN");
  }

  /** Verifies that a stopping node is not ready while Redis is fine, with that one reason. */
  @Test
  @DisplayName("A stopping node is not ready, with that reason alone")
  void stoppingNodeIsNotReady() {
    assertThat(node.readiness().up()).isTrue();
    node.stopping();
    assertThat(node.readiness()).isEqualTo(new Readiness(false, List.of("the node is stopping")));
  }

  /**
   * Verifies that a sample holds the spec's fields: cumulative job counters, failures by code
   * without the zeros, ping, reconnects, breaker and readiness.
   */
  @Test
  @DisplayName("sample: counters, failures by code without zeros, ping, reconnects, breaker, ready")
  void sampleHoldsTheHistoryFields() {
    JsonObject sample = node.sample(1234);

    assertThat(sample).isEqualTo(new JsonObject()
        .put("at", 1234L).put("inFlight", 2L).put("succeeded", 40L).put("failed", 3L).put("cancelled", 1L)
        .put("failedByCode", new JsonObject().put("TIMEOUT", 2L).put("MODEL_ERROR", 1L).put("CANCELLED", 1L))
        .put("pingMs", 0.4).put("reconnects", 7L).put("breaker", "CLOSED").put("ready", true));
  }

  /** Verifies that before the first PING the sample's pingMs is null, not -1. */
  @Test
  @DisplayName("sample: pingMs is null before the first PING")
  void pingIsNullBeforeTheFirst() {
    health.set(health("CLOSED", 4, -1, false));
    assertThat(node.sample(1).containsKey("pingMs")).isTrue();
    assertThat(node.sample(1).getValue("pingMs")).isNull();
  }

  /** Verifies that with no connection to Redis the sample has no latency, though the last PING is kept. */
  @Test
  @DisplayName("sample: pingMs is null while no connection is up")
  void pingIsNullWithoutConnection() {
    health.set(health("OPEN", 0, 0.4, false));
    assertThat(node.sample(1).getValue("pingMs")).isNull();
    health.set(health("CLOSED", 1, 0.4, false));
    assertThat(node.sample(1).getDouble("pingMs")).isEqualTo(0.4);
  }

  private static RedisHealth health(String breaker, int connectionsUp, double pingMs, boolean authRejected) {
    return new RedisHealth(breaker, connectionsUp, 4, 0, 2048, pingMs, 7, authRejected, Map.of(), Map.of());
  }
}
