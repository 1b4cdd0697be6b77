package chatworker.api;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * A failure with a contract code. On the wire it is a RECIPIENT_FAILURE whose failureCode is the
 * code's number and whose message is {@code {"code": NAME, "message": sentence}}; nothing else of the
 * exception (no stack, no cause) leaves the node.
 */
public final class ApiException extends RuntimeException {

  private final ErrorCode code;

  public ApiException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public static ApiException invalid(String field, String problem) {
    return new ApiException(ErrorCode.INVALID_REQUEST, "'" + field + "' " + problem);
  }

  public static ApiException notFound(String what, String id) {
    return new ApiException(ErrorCode.NOT_FOUND, what + " '" + id + "' does not exist");
  }

  /** A generate whose {@code jobId} runs already (here or on another node). */
  public static ApiException jobInProgress(String jobId) {
    return new ApiException(ErrorCode.JOB_IN_PROGRESS, "job '" + jobId + "' is running; ask chat.jobs.get or retry later");
  }

  /**
   * The store could not serve a call: TIMEOUT when it did not answer in time, else STORE_UNAVAILABLE
   * (unreachable, breaker open, or Redis refused the command). {@code message} says which.
   */
  public static ApiException storeFailed(boolean timedOut, String message) {
    return new ApiException(timedOut ? ErrorCode.TIMEOUT : ErrorCode.STORE_UNAVAILABLE, message);
  }

  /** The model provider failed or answered garbage. */
  public static ApiException modelFailed(String message) {
    return new ApiException(ErrorCode.MODEL_ERROR, "the model failed: " + message);
  }

  public ErrorCode code() {
    return code;
  }

  /** The JSON message body of the failure. */
  public JsonObject toJson() {
    return new JsonObject().put("code", code.name()).put("message", getMessage());
  }

  /** Answers {@code message} with this failure. */
  public void failReply(Message<?> message) {
    message.fail(code.failureCode(), toJson().encode());
  }

  /**
   * Reads a failure back on the client side: ours when the failureCode and JSON match, else an
   * INTERNAL one describing the event-bus failure (no handlers, timeout).
   */
  public static ApiException fromReply(Throwable failure) {
    if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      ErrorCode code = ErrorCode.of(reply.failureCode());
      if (code != null) {
        try {
          return new ApiException(code, new JsonObject(reply.getMessage()).getString("message"));
        } catch (RuntimeException notJson) {
          return new ApiException(code, reply.getMessage());
        }
      }
    }
    if (failure instanceof ApiException api) {
      return api;
    }
    return new ApiException(ErrorCode.INTERNAL, String.valueOf(failure.getMessage()));
  }
}
