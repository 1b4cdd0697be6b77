package chatworker.redis;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A snapshot of the layer's state for the status endpoint and metrics. Holds nothing secret.
 *
 * @param breaker         CLOSED, OPEN or HALF_OPEN
 * @param connectionsUp   connections currently usable
 * @param connections     connections configured
 * @param inFlight        commands waiting for a reply, over all connections
 * @param maxInFlight     the in-flight bound over all connections
 * @param pingMs          latency of the last successful health-check PING, -1 before the first
 * @param reconnects      connections re-established after a loss
 * @param authRejected    Redis refused the configured credentials on the last attempt
 * @param failures        failed calls by {@link RedisFailure.Kind}
 * @param breakerChanges  how often the breaker entered each state (CLOSED, OPEN, HALF_OPEN)
 */
public record RedisHealth(
    String breaker,
    int connectionsUp,
    int connections,
    int inFlight,
    int maxInFlight,
    double pingMs,
    long reconnects,
    boolean authRejected,
    Map<String, Long> failures,
    Map<String, Long> breakerChanges) {

  /** Redis answers and the breaker lets calls through. */
  public boolean ready() {
    return connectionsUp > 0 && "CLOSED".equals(breaker);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("breaker", breaker)
        .put("pool", new JsonObject()
            .put("connections", connections)
            .put("connectionsUp", connectionsUp)
            .put("inFlight", inFlight)
            .put("maxInFlight", maxInFlight))
        .put("pingMs", pingMs)
        .put("reconnects", reconnects)
        .put("authRejected", authRejected)
        .put("failures", new JsonObject(Map.copyOf(failures)))
        .put("breakerChanges", new JsonObject(Map.copyOf(breakerChanges)));
  }
}
