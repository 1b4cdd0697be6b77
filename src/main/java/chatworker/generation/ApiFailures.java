package chatworker.generation;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.model.ModelException;
import chatworker.redis.RedisFailure;
import io.vertx.core.eventbus.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns any failure into a contract failure; only a bug (INTERNAL) is logged with its stack. */
public final class ApiFailures {

  private static final Logger log = LoggerFactory.getLogger(ApiFailures.class);

  private ApiFailures() {}

  public static ApiException toApi(Throwable failure) {
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof RedisFailure redis) {
      return switch (redis.kind()) {
        case TIMEOUT -> new ApiException(ErrorCode.TIMEOUT, "Redis did not answer in time: " + redis.getMessage());
        case COMMAND_ERROR -> new ApiException(ErrorCode.STORE_UNAVAILABLE, "Redis refused the command: " + redis.getMessage());
        default -> new ApiException(ErrorCode.STORE_UNAVAILABLE, "Redis is unavailable: " + redis.getMessage());
      };
    }
    if (failure instanceof ModelException model) {
      return new ApiException(ErrorCode.MODEL_ERROR, "the model failed: " + model.getMessage());
    }
    log.error("Internal error", failure);
    return new ApiException(ErrorCode.INTERNAL, "internal error; the node logged it");
  }

  /** Answers {@code message} with the contract failure for {@code failure}. */
  public static void reply(Message<?> message, Throwable failure) {
    toApi(failure).failReply(message);
  }
}
