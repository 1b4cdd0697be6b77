package chatworker.api;

import io.vertx.core.eventbus.Message;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns any failure into a contract failure; the part that every package answering requests shares.
 * An {@link ApiException} passes as it is. The failures of the floors below (a store's, a model's),
 * which {@code api} does not see, the answering package maps itself through {@code known}, with the
 * factories of {@link ApiException}. Anything else is a bug: INTERNAL, the only one logged with its
 * stack.
 */
public final class Failures {

  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  /**
   * The contract failure for {@code failure}: itself when it is an ApiException, else what
   * {@code known} maps it to, else INTERNAL (logged). {@code known} answers null for what it does not know.
   */
  public static ApiException toApi(Throwable failure, Function<Throwable, ApiException> known) {
    if (failure instanceof ApiException api) {
      return api;
    }
    ApiException mapped = known.apply(failure);
    if (mapped != null) {
      return mapped;
    }
    log.error("Internal error", failure);
    return new ApiException(ErrorCode.INTERNAL, "internal error; the node logged it");
  }

  /** Answers {@code message} with the contract failure for {@code failure} (see {@link #toApi}). */
  public static void reply(Message<?> message, Throwable failure, Function<Throwable, ApiException> known) {
    toApi(failure, known).failReply(message);
  }
}
