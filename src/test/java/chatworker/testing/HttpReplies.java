package chatworker.testing;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * What a client of the HTTP API makes of an answer (shared/CONTRACT.md, "HTTP API"): a 2xx is the
 * body, the event-bus reply it carries; anything else is the contract's failure, an
 * {@link ApiException} with the body's {@code code} and {@code message}.
 */
public final class HttpReplies {

  private HttpReplies() {}

  /** The body of a 2xx, else the failure it carries (INTERNAL when the body is not the contract's). */
  public static Future<JsonObject> of(int status, Buffer body) {
    if (status / 100 == 2) {
      try {
        return Future.succeededFuture(body.toJsonObject());
      } catch (RuntimeException notJson) {
        return Future.failedFuture(new ApiException(ErrorCode.INTERNAL, "status " + status + " with a body that is"
            + " not a JSON object: " + body));
      }
    }
    return Future.failedFuture(failure(status, body.toString()));
  }

  /** The failure {@code {"code", "message"}} answered with {@code status} (or the raw text when it is not). */
  public static ApiException failure(int status, String body) {
    try {
      JsonObject json = new JsonObject(body);
      return new ApiException(ErrorCode.valueOf(json.getString("code")), json.getString("message"));
    } catch (RuntimeException notTheContract) {
      ErrorCode code = ErrorCode.of(status);
      return new ApiException(code == null ? ErrorCode.INTERNAL : code, "status " + status + ": " + body);
    }
  }
}
