package chatworker.http;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generates this node carries to the cluster for HTTP clients, until each is answered. Vert.x does
 * not fail a request whose recipient died: it waits for its send timeout (VERTX-NOTES.md). So when a
 * member leaves, every unanswered generate is sent again with its {@code jobId}, which the contract
 * makes safe: a job that succeeded answers its stored reply, one that runs on a live node answers 409
 * (asked again every half second: its reply may go to another sender of the same jobId), and one whose
 * node died runs again once its chat lock is free.
 * Used from one event loop only (the HTTP server's); member events are brought onto it.
 */
final class GenerateCalls {

  private static final Logger log = LoggerFactory.getLogger(GenerateCalls.class);
  private static final long NO_HANDLERS_BACKOFF_MS = 100;
  private static final long IN_PROGRESS_BACKOFF_MS = 500;
  private static final long RESEND_TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  // Calls, not jobIds: a client may send one jobId twice at once (both wait for the same job).
  private final Set<Call> inFlight = new LinkedHashSet<>();

  GenerateCalls(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends {@code body} (which holds its jobId) to {@code chat.generate}; waits at most {@code waitMs}. */
  Future<JsonObject> run(JsonObject body, long waitMs) {
    Call call = new Call(body.getString("jobId"), body, System.nanoTime() + waitMs * 1_000_000);
    inFlight.add(call);
    long timer = vertx.setTimer(waitMs, t -> call.answer.tryFail(
        new ApiException(ErrorCode.TIMEOUT, "no answer for job '" + call.jobId + "' within " + waitMs + " ms")));
    send(call, false);
    return call.answer.future().andThen(done -> {
      vertx.cancelTimer(timer);
      inFlight.remove(call);
    });
  }

  /** Generates not answered yet. */
  int inFlight() {
    return inFlight.size();
  }

  /** A member left the cluster: every unanswered generate is sent again, by jobId. */
  void memberLeft(String nodeId) {
    List<Call> calls = new ArrayList<>(inFlight);
    if (!calls.isEmpty()) {
      log.info("member {} left: sending {} unanswered generates again by jobId", nodeId, calls.size());
    }
    calls.forEach(call -> {
      call.resent = true;
      send(call, true);
    });
  }

  private void send(Call call, boolean resend) {
    long remainingMs = call.remainingMs();
    if (call.answer.future().isComplete() || remainingMs <= 0) {
      return;
    }
    // A resend may still be routed to the member that left (the routing forgets it a little later), so
    // it waits briefly and is sent again; a resent job that runs longer than that answers a later resend.
    long sendTimeoutMs = resend ? Math.min(remainingMs, RESEND_TIMEOUT_MS) : remainingMs;
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(sendTimeoutMs);
    vertx.eventBus().<JsonObject>request(Addresses.GENERATE, call.body, options)
        .map(Message::body)
        .onSuccess(call.answer::tryComplete)
        .onFailure(failure -> failed(call, resend, failure));
  }

  private void failed(Call call, boolean resend, Throwable failure) {
    if (failure instanceof ReplyException reply) {
      if (reply.failureType() == ReplyFailure.NO_HANDLERS) {
        // Between a member's departure and the routing's update, or while no node takes jobs: try again.
        vertx.setTimer(NO_HANDLERS_BACKOFF_MS, t -> send(call, resend));
        return;
      }
      // Once a call was resent, a 409 to any of its sendings (its first included, when a resend started
      // the job first) means "running": the answer comes to a later resend.
      if (call.resent && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE
          && reply.failureCode() == ErrorCode.JOB_IN_PROGRESS.failureCode()) {
        // Running on a live node, or still holding the lock of the node that died: ask again soon.
        vertx.setTimer(IN_PROGRESS_BACKOFF_MS, t -> send(call, true));
        return;
      }
      if (resend && reply.failureType() == ReplyFailure.TIMEOUT) {
        send(call, true);
        return;
      }
    }
    call.answer.tryFail(ErrorReplies.fromEventBus(failure, Addresses.GENERATE));
  }

  private static final class Call {
    final String jobId;
    final JsonObject body;
    final long deadlineNanos;
    final Promise<JsonObject> answer = Promise.promise();
    boolean resent;

    Call(String jobId, JsonObject body, long deadlineNanos) {
      this.jobId = jobId;
      this.body = body;
      this.deadlineNanos = deadlineNanos;
    }

    long remainingMs() {
      return (deadlineNanos - System.nanoTime()) / 1_000_000;
    }
  }
}
