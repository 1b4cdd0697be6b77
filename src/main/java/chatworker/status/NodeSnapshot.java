package chatworker.status;

import chatworker.redis.RedisHealth;
import chatworker.redis.ResilientRedis;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What a node says of itself, in one place, so that {@code /status}, {@code /health/ready} and the
 * node's answer on the event bus to the console never disagree: its {@link #status()}, its
 * {@link #readiness()}, and the {@link #sample(long)} of its counters that {@link StatusHistory} keeps.
 * Holds nothing secret: no Redis URL, no API key. Thread-safe: every read is of thread-safe sources.
 */
public final class NodeSnapshot {

  private final String nodeId;
  private final Supplier<List<String>> clusterMembers;
  private final Supplier<RedisHealth> redis;
  private final Supplier<JsonObject> topology;
  private final Supplier<JsonObject> jobs;
  private final JsonObject models;
  private final long startedAt;
  private volatile boolean stopping;
  private volatile JsonObject tls = tlsJson(null, false);

  /**
   * @param clusterMembers the cluster as this node sees it (the cluster manager's node ids)
   * @param jobs           the node's job counters as {@code {inFlight, succeeded, failed, cancelled, failedByCode}}
   * @param openAi         whether this node's OpenAI-compatible server is configured
   */
  public static NodeSnapshot of(String nodeId, Supplier<List<String>> clusterMembers, ResilientRedis redis,
      Supplier<JsonObject> jobs, boolean openAi) {
    return new NodeSnapshot(nodeId, clusterMembers, redis::health, () -> redis.topology().toJson(), jobs,
        openAi, System.currentTimeMillis());
  }

  NodeSnapshot(String nodeId, Supplier<List<String>> clusterMembers, Supplier<RedisHealth> redis,
      Supplier<JsonObject> topology, Supplier<JsonObject> jobs, boolean openAi, long startedAt) {
    this.nodeId = nodeId;
    this.clusterMembers = clusterMembers;
    this.redis = redis;
    this.topology = topology;
    this.jobs = jobs;
    this.models = new JsonObject().put("builtin", true).put("openai", openAi);
    this.startedAt = startedAt;
  }

  public String nodeId() {
    return nodeId;
  }

  /** The cluster's node ids as this node sees them right now, itself included. */
  public List<String> clusterMembers() {
    return clusterMembers.get();
  }

  /**
   * What is encrypted: the event bus (mutual TLS, until when this node's certificate is valid; null:
   * clear text) and the HTTP port.
   */
  public void tls(Instant eventBusCertificateValidUntil, boolean https) {
    tls = tlsJson(eventBusCertificateValidUntil, https);
  }

  private static JsonObject tlsJson(Instant eventBusCertificateValidUntil, boolean https) {
    return new JsonObject().put("eventBus", eventBusCertificateValidUntil != null)
        .put("certificateValidUntil", eventBusCertificateValidUntil == null ? null : eventBusCertificateValidUntil.toString())
        .put("https", https);
  }

  /** The node is stopping: not ready from now on, whatever Redis says. */
  public void stopping() {
    stopping = true;
  }

  public Readiness readiness() {
    return readiness(redis.get());
  }

  private Readiness readiness(RedisHealth health) {
    List<String> reasons = new ArrayList<>();
    if (stopping) {
      reasons.add("the node is stopping");
    }
    if (health.connectionsUp() == 0) {
      reasons.add(health.authRejected() ? "Redis refused the configured credentials" : "no connection to Redis");
    }
    if (!"CLOSED".equals(health.breaker())) {
      reasons.add("Redis circuit breaker is " + health.breaker());
    }
    return new Readiness(health.ready() && !stopping, reasons);
  }

  /** What {@code GET /status} answers: node, members, Redis, jobs, and readiness, models, start time, TLS. */
  public JsonObject status() {
    RedisHealth health = redis.get();
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("clusterMembers", new JsonArray(clusterMembers.get()))
        .put("redis", health.toJson().put("topology", topology.get()))
        .put("jobs", jobs.get())
        .put("ready", readiness(health).toJson())
        .put("models", models.copy())
        .put("startedAt", startedAt)
        .put("tls", tls.copy());
  }

  /**
   * One sample for the history, taken at {@code at}: the job counters (cumulative since the start;
   * {@code failedByCode} without the codes still at 0), Redis's last PING (null before the first),
   * reconnects and breaker, and readiness.
   */
  public JsonObject sample(long at) {
    RedisHealth health = redis.get();
    JsonObject counters = jobs.get();
    JsonObject failedByCode = new JsonObject();
    counters.getJsonObject("failedByCode", new JsonObject()).forEach(code -> {
      if (code.getValue() instanceof Number n && n.longValue() != 0) {
        failedByCode.put(code.getKey(), n.longValue());
      }
    });
    return new JsonObject()
        .put("at", at)
        .put("inFlight", counters.getLong("inFlight", 0L))
        .put("succeeded", counters.getLong("succeeded", 0L))
        .put("failed", counters.getLong("failed", 0L))
        .put("cancelled", counters.getLong("cancelled", 0L))
        .put("failedByCode", failedByCode)
        // The layer keeps the last PING that succeeded while Redis is gone: no connection, no latency.
        .put("pingMs", health.pingMs() < 0 || health.connectionsUp() == 0 ? null : health.pingMs())
        .put("reconnects", health.reconnects())
        .put("breaker", health.breaker())
        .put("ready", readiness(health).up());
  }
}
