package chatworker.status;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Whether the node takes work, and why not: what {@code GET /health/ready} answers (200 or 503) and
 * what {@code /status} and the console show as {@code ready}.
 *
 * @param up      Redis answers, the breaker is closed and the node is not stopping
 * @param reasons why it is not up, in words for an operator; empty when up
 */
public record Readiness(boolean up, List<String> reasons) {

  public Readiness {
    reasons = List.copyOf(reasons);
  }

  /** {@code {"status": "UP"|"DOWN", "reasons": [...]}}. */
  public JsonObject toJson() {
    return new JsonObject().put("status", up ? "UP" : "DOWN").put("reasons", new JsonArray(reasons));
  }
}
