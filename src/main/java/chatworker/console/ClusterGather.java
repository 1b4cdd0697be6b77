package chatworker.console;

import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The body of {@code GET /console/cluster}: every member asked for its status at once, the answer
 * written when each has answered or failed. A member that does not answer within the ask's timeout
 * is listed with {@code answered: false} and why; it delays the answer by that timeout at most.
 */
public final class ClusterGather {

  /** How long one member has to answer. */
  public static final long TIMEOUT_MS = 1_500;

  private final Function<String, Future<JsonObject>> ask;
  private final long timeoutMs;
  private final LongSupplier clock;

  /**
   * @param ask       asks one member (by nodeId) and answers its {@code {status, history}}; fails with the
   *                  event bus's {@link ReplyException} when the member does not answer within {@code timeoutMs}
   * @param timeoutMs the ask's timeout, as the answer words it
   * @param clock     the time written as {@code at}, in epoch ms
   */
  public ClusterGather(Function<String, Future<JsonObject>> ask, long timeoutMs, LongSupplier clock) {
    this.ask = ask;
    this.timeoutMs = timeoutMs;
    this.clock = clock;
  }

  /** {@code {servedBy, at, members: [...]}}, members sorted by nodeId; never fails. */
  public Future<JsonObject> gather(String servedBy, List<String> members) {
    List<Future<JsonObject>> answers = members.stream().distinct().sorted(Comparator.naturalOrder())
        .map(this::member).toList();
    return Future.join(answers).transform(done -> Future.succeededFuture(new JsonObject()
        .put("servedBy", servedBy)
        .put("at", clock.getAsLong())
        .put("members", new JsonArray(answers.stream().map(Future::result).toList()))));
  }

  private Future<JsonObject> member(String nodeId) {
    Future<JsonObject> answer;
    try {
      answer = ask.apply(nodeId);
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer
        .map(body -> new JsonObject().put("nodeId", nodeId).put("answered", true)
            .put("status", body.getJsonObject("status")).put("history", body.getJsonObject("history")))
        .otherwise(failure -> new JsonObject().put("nodeId", nodeId).put("answered", false)
            .put("error", why(failure)));
  }

  /** Why a member did not answer, for an operator: never an exception's text. */
  private String why(Throwable failure) {
    if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
      return "no answer within " + timeoutMs + " ms";
    }
    if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS) {
      return "no status consumer on this member (a client, or a node starting or stopping)";
    }
    return "its answer failed";
  }
}
