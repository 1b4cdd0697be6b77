package chatworker.chaos;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.cli.SubmitClient;
import chatworker.testing.HttpReplies;
import chatworker.testing.ServerSentEvents;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One simulated user's way in through the HTTP API (shared/CONTRACT.md, "HTTP API"), as a client
 * behind a load balancer: every request goes to the user's own node ({@code home}) while it is up,
 * else to the next node that is ({@link HttpNodes}). The same rules as {@link SubmitClient} on the
 * event bus: a request that could not be sent at all (no connection: the node is down) is sent again
 * to another node, up to {@code maxResends} times with backoff, like a {@code NO_HANDLERS}; a request
 * sent without an answer (the connection broke, or no response head within {@code idleTimeoutMs})
 * fails as no answer, except a generate, which is sent again with the same {@code Idempotency-Key} as
 * the event bus client resends by jobId. Vert.x's idle timeout ends with the response head: a stream
 * that stalls after its head waits for the node's own bound (the job's deadline plus
 * {@code http.requestTimeoutMs}, 40 s by default), which ends it with an {@code error} event. A resent generate answered {@code 409 JOB_IN_PROGRESS} (its first
 * sending still runs) is asked again every {@value #IN_PROGRESS_BACKOFF_MS} ms, for
 * {@value #IN_PROGRESS_GIVE_UP_MS} ms at most, until the job's own answer comes.
 */
final class HttpApiClient implements ChaosClient {

  private static final long IN_PROGRESS_BACKOFF_MS = 500;
  private static final long IN_PROGRESS_GIVE_UP_MS = 30_000;

  /** Nothing came back for a request that was sent (or may have been). */
  static final class NoAnswer extends RuntimeException {
    NoAnswer(String what, Throwable cause) {
      super(what + ": no answer (" + cause + ")", cause, false, false);
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final HttpNodes nodes;
  private final int home;
  private final long idleTimeoutMs;
  private final int maxResends;
  private final RetryPolicy backoff = RetryPolicy.exponentialDelayWithJitter(100, 5_000);

  HttpApiClient(Vertx vertx, HttpNodes nodes, int home, long idleTimeoutMs, int maxResends) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.nodes = nodes;
    this.home = home % nodes.size();
    this.idleTimeoutMs = idleTimeoutMs;
    this.maxResends = maxResends;
  }

  @Override
  public Future<JsonObject> request(String address, JsonObject body) {
    return request(address, body, 0);
  }

  private Future<JsonObject> request(String address, JsonObject body, int resends) {
    int node = nodes.pick(home);
    return exchange(node, route(address, body), null, response -> response.body()
            .compose(bytes -> HttpReplies.of(response.statusCode(), bytes)))
        .recover(failure -> {
          if (failure instanceof ApiException) {
            return Future.failedFuture(failure);
          }
          if (notSent(failure)) {
            nodes.markDown(node);
            if (resends < maxResends) {
              return later(backoff.delay(failure, resends + 1), () -> request(address, body, resends + 1));
            }
          }
          return Future.failedFuture(new NoAnswer(address, failure));
        });
  }

  @Override
  public Future<SubmitClient.Outcome> generate(JsonObject request, Consumer<String> onDelta) {
    JsonObject body = request.copy();
    String chatId = (String) body.remove("chatId");
    Object jobId = body.remove("jobId");
    String key = jobId == null ? UUID.randomUUID().toString() : jobId.toString();
    if (onDelta != null) {
      body.put("stream", true);
    }
    Route route = new Route(HttpMethod.POST, "/v1/chats/" + chatId + "/generate", body);
    Promise<SubmitClient.Outcome> outcome = Promise.promise();
    attempt(route, key, onDelta, 0, 0, outcome);
    return outcome.future();
  }

  /** One sending of a generate; {@code askedSince}: when a resend first met 409 (0: not yet). */
  private void attempt(Route route, String key, Consumer<String> onDelta, int resends, long askedSince,
      Promise<SubmitClient.Outcome> outcome) {
    int node = nodes.pick(home);
    exchange(node, route, key, response -> answer(response, onDelta)).onComplete(ar -> {
      if (ar.succeeded()) {
        outcome.complete(new SubmitClient.Outcome(ar.result(), null, false, resends));
      } else if (ar.cause() instanceof ApiException failure) {
        long now = System.nanoTime();
        boolean stillRunning = resends > 0 && failure.code() == ErrorCode.JOB_IN_PROGRESS
            && (askedSince == 0 || now - askedSince < TimeUnit.MILLISECONDS.toNanos(IN_PROGRESS_GIVE_UP_MS));
        if (stillRunning) {
          vertx.setTimer(IN_PROGRESS_BACKOFF_MS,
              t -> attempt(route, key, onDelta, resends, askedSince == 0 ? now : askedSince, outcome));
        } else {
          outcome.complete(new SubmitClient.Outcome(null, failure, false, resends));
        }
      } else {
        if (notSent(ar.cause())) {
          nodes.markDown(node);
        }
        if (resends >= maxResends) {
          outcome.complete(new SubmitClient.Outcome(null, null, true, resends));
        } else {
          vertx.setTimer(Math.max(1, backoff.delay(ar.cause(), resends + 1)),
              t -> attempt(route, key, onDelta, resends + 1, askedSince, outcome));
        }
      }
    });
  }

  /** The reply: the JSON body, or the stream's {@code done} event; a failure answered as an ApiException. */
  private Future<JsonObject> answer(HttpClientResponse response, Consumer<String> onDelta) {
    String type = String.valueOf(response.getHeader("content-type"));
    if (response.statusCode() != 200 || !type.startsWith("text/event-stream")) {
      return response.body().compose(bytes -> HttpReplies.of(response.statusCode(), bytes));
    }
    Promise<JsonObject> reply = Promise.promise();
    ServerSentEvents events = new ServerSentEvents(event -> {
      JsonObject data = new JsonObject(event.data());
      switch (event.name()) {
        case "chunk" -> {
          if (onDelta != null && !reply.future().isComplete()) {
            onDelta.accept(data.getString("delta"));
          }
        }
        case "done" -> reply.tryComplete(data);
        case "error" -> reply.tryFail(HttpReplies.failure(500, event.data()));
        default -> { } // not an event of the contract: ignored, as a browser's EventSource would
      }
    });
    response.handler(events::feed);
    response.exceptionHandler(reply::tryFail);
    response.endHandler(v -> reply.tryFail(new IllegalStateException("the stream ended without done or error")));
    return reply.future();
  }

  @Override
  public void cancel(String jobId) {
    exchange(nodes.pick(home), new Route(HttpMethod.POST, "/v1/jobs/" + jobId + "/cancel", null), null,
        HttpClientResponse::body);
  }

  @Override
  public boolean isNoAnswer(Throwable failure) {
    return failure instanceof NoAnswer;
  }

  /**
   * One request on {@code node}, its response read by {@code read}; or the transport's failure. All of
   * it runs in one task of a context (the caller's, else this client's own): a response's handlers must be set in the task that
   * delivers its head (chunks that come before are dropped), and a listener added from another thread
   * (the verifier's) runs a task later: a short body could end unheard, and the read wait forever.
   */
  private <T> Future<T> exchange(int node, Route route, String idempotencyKey,
      Function<HttpClientResponse, Future<T>> read) {
    RequestOptions options = new RequestOptions().setMethod(route.method).setPort(nodes.port(node))
        .setURI(route.uri).setIdleTimeout(idleTimeoutMs);
    if (idempotencyKey != null) {
      options.putHeader("idempotency-key", idempotencyKey);
    }
    if (route.body != null) {
      options.putHeader("content-type", "application/json");
    }
    Buffer body = route.body == null ? null : route.body.toBuffer();
    Supplier<Future<T>> exchange = () -> nodes.client().request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(read);
    if (Vertx.currentContext() != null) {
      return exchange.get(); // a user's own context: its callbacks stay there
    }
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> exchange.get().onComplete(result));
    return result.future();
  }

  private <T> Future<T> later(long delayMs, Supplier<Future<T>> next) {
    Promise<T> result = Promise.promise();
    vertx.setTimer(Math.max(1, delayMs), t -> next.get().onComplete(result));
    return result.future();
  }

  /** The connection could not be opened: the request reached no node, so sending it elsewhere is safe. */
  private static boolean notSent(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof ConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** A contract address and body as the HTTP API's method, path (with query) and body. */
  private record Route(HttpMethod method, String uri, JsonObject body) {}

  private static Route route(String address, JsonObject body) {
    JsonObject rest = body.copy();
    return switch (address) {
      case Addresses.ASSISTANTS_CREATE -> new Route(HttpMethod.POST, "/v1/assistants", rest);
      case Addresses.ASSISTANTS_GET -> new Route(HttpMethod.GET, "/v1/assistants/" + body.getString("id"), null);
      case Addresses.CHATS_CREATE -> new Route(HttpMethod.POST, "/v1/chats", rest);
      case Addresses.CHATS_GET -> new Route(HttpMethod.GET, "/v1/chats/" + body.getString("id"), null);
      case Addresses.MESSAGES_CREATE -> new Route(HttpMethod.POST,
          "/v1/chats/" + rest.remove("chatId") + "/messages", rest);
      case Addresses.MESSAGES_LIST -> new Route(HttpMethod.GET, "/v1/chats/" + body.getString("chatId")
          + "/messages?limit=" + body.getInteger("limit", 100)
          + (body.containsKey("afterSeq") ? "&afterSeq=" + body.getLong("afterSeq") : ""), null);
      case Addresses.JOBS_GET -> new Route(HttpMethod.GET, "/v1/jobs/" + body.getString("jobId"), null);
      default -> throw new IllegalArgumentException("no HTTP route for " + address + " in the chaos client");
    };
  }
}
