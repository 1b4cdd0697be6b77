package chatworker.model;

import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One streaming chat completion. Sends the request; retries 429, 5xx and lost connections while no
 * token has reached the caller; fails a call that receives nothing for the idle timeout; reads the SSE
 * stream into deltas; and on cancel resets the HTTP stream (HTTP/1.1: closes the connection, so the
 * server sees the client leave). Its state lives on the caller's context; only {@link #cancel()} may
 * come from another thread.
 */
final class OpenAiCall implements ModelCall {

  private final Vertx vertx;
  private final Context context;
  private final HttpClient client;
  private final OpenAiSettings settings;
  private final Supplier<RequestOptions> requestOptions;
  private final Buffer body;
  private final List<ChatTurn> turns;
  private final Consumer<String> onDelta;
  private final RetryPolicy backoff;
  private final Promise<ModelReply> result = Promise.promise();
  /** Set at once by cancel (any thread) and by the end of the call: no delta is passed on after it. */
  private volatile boolean stopped;
  private Attempt attempt;
  private int retries;
  private boolean tokenSeen;
  private long retryTimer = -1;
  private long watchdog = -1;

  /** One HTTP exchange; a retry makes a new one, and events of an old one are ignored. */
  private final class Attempt {
    final OpenAiSse sse = new OpenAiSse();
    final OpenAiStream stream = new OpenAiStream();
    HttpClientRequest request;
    long sentAt;
    long lastBytesAt;
    boolean ended;
  }

  OpenAiCall(Vertx vertx, Context context, HttpClient client, OpenAiSettings settings,
      Supplier<RequestOptions> requestOptions, Buffer body, List<ChatTurn> turns, Consumer<String> onDelta) {
    this.vertx = vertx;
    this.context = context;
    this.client = client;
    this.settings = settings;
    this.requestOptions = requestOptions;
    this.body = body;
    this.turns = turns;
    this.onDelta = onDelta;
    this.backoff = RetryPolicy.exponentialDelayWithJitter(settings.retryInitialDelayMs(),
        settings.retryMaxDelayMs());
  }

  /** Sends the first attempt, on the caller's context. */
  void start() {
    context.runOnContext(v -> send());
  }

  @Override
  public Future<ModelReply> result() {
    return result.future();
  }

  @Override
  public void cancel() {
    stopped = true;
    if (Vertx.currentContext() == context) {
      finish(null, new ModelException("cancelled"));
    } else {
      context.runOnContext(v -> finish(null, new ModelException("cancelled")));
    }
  }

  private boolean current(Attempt a) {
    return a == attempt && !result.future().isComplete();
  }

  private void send() {
    if (result.future().isComplete()) {
      return;
    }
    Attempt a = new Attempt();
    attempt = a;
    try {
      client.request(requestOptions.get()).onComplete(ar -> onRequest(a, ar));
    } catch (RuntimeException e) {
      fail(a, new ModelException("could not start a request to the model server: "
          + OpenAiErrors.describe(e)));
    }
  }

  private void onRequest(Attempt a, AsyncResult<HttpClientRequest> ar) {
    if (!current(a)) {
      if (ar.succeeded()) {
        ar.result().reset();
      }
      return;
    }
    if (ar.failed()) {
      retryOrFail(a, new ModelException("could not reach the model server at " + settings.authority() + ": "
          + OpenAiErrors.describe(ar.cause())), true, -1);
      return;
    }
    a.request = ar.result();
    a.sentAt = a.lastBytesAt = System.nanoTime();
    checkTimeouts();
    a.request.send(body).onComplete(res -> {
      if (!current(a)) {
        return;
      }
      if (res.failed()) {
        a.ended = true;
        retryOrFail(a, lost(res.cause()), true, -1);
      } else {
        onResponse(a, res.result());
      }
    });
  }

  private void onResponse(Attempt a, HttpClientResponse response) {
    a.lastBytesAt = System.nanoTime();
    response.exceptionHandler(failure -> {
      a.ended = true;
      retryOrFail(a, lost(failure), true, -1);
    });
    if (response.statusCode() != 200) {
      readError(a, response);
      return;
    }
    String type = response.getHeader("Content-Type");
    if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
      fail(a, new ModelException("the model server answered with " + OpenAiErrors.clean(type, null)
          + " instead of an event stream"));
      return;
    }
    response.handler(bytes -> onBytes(a, bytes));
    response.endHandler(v -> onEnd(a));
  }

  private void onBytes(Attempt a, Buffer bytes) {
    if (!current(a)) {
      return;
    }
    a.lastBytesAt = System.nanoTime();
    try {
      a.sse.feed(bytes, data -> onEvent(a, data));
    } catch (ModelException e) {
      fail(a, e);
    } catch (RuntimeException e) {
      // onDelta threw: a bug of the caller, reported as itself rather than as a model error
      finish(null, e);
    }
  }

  private void onEvent(Attempt a, String data) {
    if (!current(a)) {
      return;
    }
    String delta = a.stream.accept(data);
    if (delta != null && !stopped) {
      tokenSeen = true;
      onDelta.accept(delta);
    }
    if (a.stream.done() && current(a)) {
      finish(a.stream.reply(turns), null);
    }
  }

  private void onEnd(Attempt a) {
    a.ended = true;
    if (!current(a)) {
      return;
    }
    try {
      a.sse.end(data -> onEvent(a, data));
    } catch (ModelException e) {
      fail(a, e);
      return;
    } catch (RuntimeException e) {
      finish(null, e);
      return;
    }
    if (!current(a)) {
      return;
    }
    if (a.stream.complete()) {
      finish(a.stream.reply(turns), null);
    } else {
      fail(a, new ModelException("the model stream ended before [DONE] and without a finish reason"));
    }
  }

  /** Reads a failed response's body (bounded) for the server's message, then retries or fails. */
  private void readError(Attempt a, HttpClientResponse response) {
    Buffer errorBody = Buffer.buffer();
    int status = response.statusCode();
    boolean retryable = status == 429 || status >= 500;
    long retryAfter = OpenAiErrors.retryAfterMs(response.getHeader("Retry-After"));
    Runnable done = () -> {
      a.ended = true;
      String message = OpenAiErrors.clean(OpenAiErrors.message(errorBody), settings.apiKey());
      retryOrFail(a, new ModelException("the model server answered HTTP " + status + ": " + message),
          retryable, retryAfter);
    };
    response.handler(bytes -> {
      a.lastBytesAt = System.nanoTime();
      int room = OpenAiErrors.MAX_BODY_BYTES - errorBody.length();
      if (room > 0) {
        errorBody.appendBuffer(bytes, 0, Math.min(room, bytes.length()));
      }
    });
    response.exceptionHandler(failure -> done.run());
    response.endHandler(v -> done.run());
  }

  private ModelException lost(Throwable failure) {
    return new ModelException("the connection to the model server was lost: "
        + OpenAiErrors.describe(failure));
  }

  private void fail(Attempt a, ModelException failure) {
    retryOrFail(a, failure, false, -1);
  }

  /** Ends attempt {@code a}; retries it when allowed (no token passed on yet, retries left), else fails. */
  private void retryOrFail(Attempt a, ModelException failure, boolean retryable, long retryAfterMs) {
    if (!current(a)) {
      return;
    }
    if (!retryable || tokenSeen || stopped || retries >= settings.maxRetries()) {
      String suffix = retries > 0 ? " (after " + (retries + 1) + " attempts)" : "";
      finish(null, new ModelException(failure.getMessage() + suffix));
      return;
    }
    attempt = null;
    cancelWatchdog();
    if (!a.ended && a.request != null) {
      a.request.reset();
    }
    long delay = backoff.delay(failure, retries);
    if (retryAfterMs >= 0) {
      delay = Math.min(settings.retryMaxDelayMs(), Math.max(delay, retryAfterMs));
    }
    retries++;
    retryTimer = vertx.setTimer(Math.max(1, delay), t -> {
      retryTimer = -1;
      send();
    });
  }

  /** Completes the call once: stops timers, resets an unfinished stream on failure, completes the result. */
  private void finish(ModelReply reply, Throwable failure) {
    if (result.future().isComplete()) {
      return;
    }
    stopped = true;
    cancelWatchdog();
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    Attempt a = attempt;
    attempt = null;
    if (failure == null) {
      result.complete(reply);
      return;
    }
    if (a != null && !a.ended && a.request != null) {
      a.request.reset();
    }
    if (failure instanceof ModelException && settings.hasApiKey()
        && failure.getMessage().contains(settings.apiKey())) {
      failure = new ModelException(failure.getMessage().replace(settings.apiKey(), "[redacted]"));
    }
    result.fail(failure);
  }

  /** Fails the current attempt when it stalled (or waits too long for its first token), else re-arms. */
  private void checkTimeouts() {
    cancelWatchdog();
    Attempt a = attempt;
    if (a == null || a.request == null || result.future().isComplete()) {
      return;
    }
    long now = System.nanoTime();
    long next = settings.idleTimeoutMs() - TimeUnit.NANOSECONDS.toMillis(now - a.lastBytesAt);
    if (next <= 0) {
      fail(a, new ModelException("model stream stalled: no data from the model server for "
          + settings.idleTimeoutMs() + " ms"));
      return;
    }
    Long firstToken = settings.firstTokenTimeoutMs();
    if (firstToken != null && !tokenSeen) {
      long left = firstToken - TimeUnit.NANOSECONDS.toMillis(now - a.sentAt);
      if (left <= 0) {
        fail(a, new ModelException("the model sent no token within " + firstToken + " ms"));
        return;
      }
      next = Math.min(next, left);
    }
    watchdog = vertx.setTimer(Math.max(1, next), t -> {
      watchdog = -1;
      checkTimeouts();
    });
  }

  private void cancelWatchdog() {
    if (watchdog != -1) {
      vertx.cancelTimer(watchdog);
      watchdog = -1;
    }
  }
}
