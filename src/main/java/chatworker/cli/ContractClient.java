package chatworker.cli;

import chatworker.api.ApiException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What {@code submit} needs of a cluster: the contract's requests and generates that are resent with
 * their jobId when no answer came. Over the event bus ({@link SubmitClient}) or a node's HTTP API
 * ({@link HttpSubmitClient}); the command does not care which.
 */
public interface ContractClient {

  /** What a generate ended with, and how many times it was resent. */
  record Outcome(JsonObject reply, ApiException failure, boolean noAnswer, int resends) {}

  /**
   * One request to a contract address ({@code chatworker.api.Addresses}); fails with the ApiException
   * answered, or with the transport's failure when no answer came.
   */
  Future<JsonObject> request(String address, JsonObject body);

  /**
   * Sends {@code chat.generate} (adding a jobId when absent), streaming deltas to {@code onDelta}
   * when given, and resends it on no answer until {@code giveUpAtNanos} (System.nanoTime). Never
   * fails: the outcome says how it ended.
   */
  Future<Outcome> generate(JsonObject request, Consumer<String> onDelta, long giveUpAtNanos);

  /** Like {@link #generate(JsonObject, Consumer, long)}, with no give-up time. */
  default Future<Outcome> generate(JsonObject request, Consumer<String> onDelta) {
    return generate(request, onDelta, System.nanoTime() + TimeUnit.DAYS.toNanos(365));
  }
}
