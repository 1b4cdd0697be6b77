package chatworker.generation;

import chatworker.api.ApiException;
import chatworker.api.Failures;
import chatworker.model.ModelException;
import chatworker.store.StoreFailure;
import io.vertx.core.eventbus.Message;

/**
 * The contract failure for whatever ended a job: the generic part is {@link Failures}'; this adds what
 * generation meets below it, the store's and the model's failures.
 */
public final class ApiFailures {

  private ApiFailures() {}

  public static ApiException toApi(Throwable failure) {
    return Failures.toApi(failure, ApiFailures::known);
  }

  /** Answers {@code message} with the contract failure for {@code failure}. */
  public static void reply(Message<?> message, Throwable failure) {
    toApi(failure).failReply(message);
  }

  private static ApiException known(Throwable failure) {
    if (failure instanceof StoreFailure store) {
      return ApiException.storeFailed(store.timedOut(), store.getMessage());
    }
    if (failure instanceof ModelException model) {
      return ApiException.modelFailed(model.getMessage());
    }
    return null;
  }
}
