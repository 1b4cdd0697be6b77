package chatworker.chaos;

import chatworker.api.Addresses;
import chatworker.cli.SubmitClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * How a simulated user (and the verifier at the end) reaches the cluster: through the clustered event
 * bus as a lite member ({@link #eventBus}), or through the nodes' HTTP API ({@link HttpApiClient}).
 * Either way the requests are the contract's addresses and bodies, so the users, the ledger and the
 * verifier are the same for both.
 */
interface ChaosClient {

  /**
   * One request of the contract; fails with the {@link chatworker.api.ApiException} answered, or with a
   * failure for which {@link #isNoAnswer} is true when nothing came back.
   */
  Future<JsonObject> request(String address, JsonObject body);

  /**
   * {@code chat.generate} of {@code body} (which holds its chatId and jobId), its deltas to
   * {@code onDelta} when given (a stream); sent again with the same jobId when no answer came. Never
   * fails: the outcome says how it ended.
   */
  Future<SubmitClient.Outcome> generate(JsonObject body, Consumer<String> onDelta);

  /** Asks for {@code jobId} to be cancelled (the contract's cancel: nothing is answered). */
  void cancel(String jobId);

  /** Whether a failure of {@link #request} means that no answer came (the request may have run or not). */
  boolean isNoAnswer(Throwable failure);

  /** The contract on the clustered event bus, with {@link SubmitClient}'s resends by jobId. */
  static ChaosClient eventBus(Vertx vertx, SubmitClient client) {
    return new ChaosClient() {
      @Override
      public Future<JsonObject> request(String address, JsonObject body) {
        return client.request(address, body);
      }

      @Override
      public Future<SubmitClient.Outcome> generate(JsonObject body, Consumer<String> onDelta) {
        return client.generate(body, onDelta);
      }

      @Override
      public void cancel(String jobId) {
        vertx.eventBus().publish(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", jobId));
      }

      @Override
      public boolean isNoAnswer(Throwable failure) {
        return failure instanceof ReplyException;
      }
    };
  }
}
