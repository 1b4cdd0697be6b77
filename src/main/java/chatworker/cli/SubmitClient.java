package chatworker.cli;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A contract client on the (clustered) event bus: plain requests, and generates that are resent with
 * the same jobId when no answer came at all (the node died, no node was there, the request timed
 * out on the bus), with exponential backoff and full jitter. Resending is safe: jobs are idempotent.
 */
public final class SubmitClient implements ContractClient {

  private final Vertx vertx;
  private final long requestTimeoutMs;
  private final int maxResends;
  private final RetryPolicy backoff = RetryPolicy.exponentialDelayWithJitter(100, 5_000);

  public SubmitClient(Vertx vertx, long requestTimeoutMs, int maxResends) {
    this.vertx = vertx;
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxResends = maxResends;
  }

  /**
   * One request; fails with the ApiException answered, or with the bus failure (no answer). Sent again
   * (up to the resends allowed, with backoff) only on {@code NO_HANDLERS}: no node took it, so it ran
   * nowhere and sending it again is safe for any request; a timeout may have run it and is returned.
   */
  @Override
  public Future<JsonObject> request(String address, JsonObject body) {
    return request(address, body, 0);
  }

  private Future<JsonObject> request(String address, JsonObject body, int resends) {
    return send(address, body).recover(err -> {
      if (isNoHandlers(err) && resends < maxResends) {
        Promise<JsonObject> again = Promise.promise();
        vertx.setTimer(Math.max(1, backoff.delay(err, resends + 1)),
            t -> request(address, body, resends + 1).onComplete(again));
        return again.future();
      }
      return Future.failedFuture(err);
    });
  }

  /** Sent once: the reply's body, the ApiException answered, or the bus failure (no answer). */
  private Future<JsonObject> send(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(requestTimeoutMs))
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(isNoAnswer(err) ? err : ApiException.fromReply(err)));
  }

  private static boolean isNoHandlers(Throwable err) {
    return err instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS;
  }

  /** Streams over a consumer of its own, on a fresh address, registered before the request is sent. */
  @Override
  public Future<Outcome> generate(JsonObject request, Consumer<String> onDelta, long giveUpAtNanos) {
    JsonObject body = request.copy();
    if (!body.containsKey("jobId")) {
      body.put("jobId", UUID.randomUUID().toString());
    }
    MessageConsumer<JsonObject> stream = null;
    if (onDelta != null) {
      String address = "chat-worker.submit." + UUID.randomUUID();
      stream = vertx.eventBus().consumer(address, chunk -> onDelta.accept(chunk.body().getString("delta")));
      body.put("stream", true).put("streamAddress", address);
    }
    MessageConsumer<JsonObject> registered = stream;
    Future<Void> ready = registered == null ? Future.succeededFuture() : registered.completion();
    Promise<Outcome> outcome = Promise.promise();
    ready.onComplete(v -> attempt(body, 0, giveUpAtNanos, outcome));
    return outcome.future().andThen(done -> {
      if (registered != null) {
        registered.unregister();
      }
    });
  }

  private void attempt(JsonObject body, int resends, long giveUpAtNanos, Promise<Outcome> outcome) {
    send(Addresses.GENERATE, body).onComplete(ar -> {
      if (ar.succeeded()) {
        outcome.complete(new Outcome(ar.result(), null, false, resends));
      } else if (!isNoAnswer(ar.cause())) {
        outcome.complete(new Outcome(null, (ApiException) ar.cause(), false, resends));
      } else if (resends >= maxResends || System.nanoTime() - giveUpAtNanos >= 0) {
        outcome.complete(new Outcome(null, null, true, resends));
      } else {
        vertx.setTimer(Math.max(1, backoff.delay(ar.cause(), resends + 1)),
            t -> attempt(body, resends + 1, giveUpAtNanos, outcome));
      }
    });
  }

  private static boolean isNoAnswer(Throwable err) {
    return err instanceof ReplyException reply
        && (reply.failureType() == ReplyFailure.TIMEOUT || reply.failureType() == ReplyFailure.NO_HANDLERS);
  }
}
