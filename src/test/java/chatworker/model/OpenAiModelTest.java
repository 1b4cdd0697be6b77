package chatworker.model;

import static chatworker.model.FakeOpenAiServer.delta;
import static chatworker.model.FakeOpenAiServer.finish;
import static chatworker.model.FakeOpenAiServer.role;
import static chatworker.model.FakeOpenAiServer.usage;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenAiModelTest {

  private static final String API_KEY = "sk-test-0123456789-SECRET";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final Vertx vertx = Vertx.vertx();
  private final Vertx serverVertx = Vertx.vertx();
  private FakeOpenAiServer server;
  private OpenAiModel model;

  @BeforeEach
  void start() throws Exception {
    server = FakeOpenAiServer.start(serverVertx);
  }

  @AfterEach
  void stop() throws Exception {
    if (model != null) {
      model.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    server.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    serverVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Small timeouts and fast retries, against the fake server. */
  private OpenAiModel model(JsonObject overrides) {
    JsonObject json = new JsonObject().put("baseUrl", server.baseUrl()).put("apiKey", API_KEY)
        .put("connectTimeoutMs", 2000).put("idleTimeoutMs", 2000).put("maxRetries", 2)
        .put("retryInitialDelayMs", 10).put("retryMaxDelayMs", 2000).mergeIn(overrides);
    model = new OpenAiModel(vertx, OpenAiSettings.fromJson(json));
    return model;
  }

  private OpenAiModel model() {
    return model(new JsonObject());
  }

  private static ModelRequest request(JsonObject options) {
    return new ModelRequest("fake-model", options,
        List.of(new ChatTurn("system", "Be brief."), new ChatTurn("user", "say hello")));
  }

  /** Verifies that deltas arrive in order on the caller's context and the usage chunk gives the counts. */
  @Test
  @DisplayName("Streams deltas in order on the caller's context and reads the usage chunk")
  void streamsDeltasAndReadsUsage() throws Exception {
    server.then(FakeOpenAiServer.stream(role(), delta("Hel"), delta("lo"), delta(" there"), finish("stop"),
        usage(12, 3)));
    Run run = new Run(model(), request(new JsonObject().put("temperature", 0.2).put("topP", 0.9)
        .put("maxTokens", 64).put("seed", 7).put("stop", new JsonArray().add("\n")).put("tokenDelayMs", 50)));

    ModelReply reply = run.reply();

    assertThat(run.deltas).containsExactly("Hel", "lo", " there");
    assertThat(reply).isEqualTo(new ModelReply("Hello there", 12, 3));
    assertThat(run.offContext).isFalse();
    FakeOpenAiServer.Seen seen = server.requests().get(0);
    assertThat(seen.headers().get("Authorization")).isEqualTo("Bearer " + API_KEY);
    assertThat(seen.body().getString("model")).isEqualTo("fake-model");
    assertThat(seen.body().getJsonArray("messages")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("role", "system").put("content", "Be brief."))
        .add(new JsonObject().put("role", "user").put("content", "say hello")));
    assertThat(seen.body().getBoolean("stream")).isTrue();
    assertThat(seen.body().getJsonObject("stream_options").getBoolean("include_usage")).isTrue();
    assertThat(seen.body().getDouble("temperature")).isEqualTo(0.2);
    assertThat(seen.body().getDouble("top_p")).isEqualTo(0.9);
    assertThat(seen.body().getInteger("max_tokens")).isEqualTo(64);
    assertThat(seen.body().getInteger("seed")).isEqualTo(7);
    assertThat(seen.body().getJsonArray("stop")).containsExactly("\n");
    assertThat(seen.body().fieldNames()).doesNotContain("tokenDelayMs", "maxTokens", "topP");
  }

  /** Verifies that without a usage chunk the counts are estimated, and a finish reason stands for [DONE]. */
  @Test
  @DisplayName("Without a usage chunk or [DONE], a finished stream still succeeds, with estimated counts")
  void estimatesUsageWithoutAUsageChunk() throws Exception {
    server.then(FakeOpenAiServer.raw("data: " + delta("a") + "\n\n", "data: " + delta("b") + "\n\n",
        "data: " + finish("length") + "\n\n"));

    ModelReply reply = new Run(model(), request(null)).reply();

    assertThat(reply.text()).isEqualTo("ab");
    assertThat(reply.completionTokens()).isEqualTo(2);
    assertThat(reply.promptTokens()).isPositive();
  }

  /** Verifies that a 429 is retried after the server's Retry-After, and the retry's stream is the reply. */
  @Test
  @DisplayName("A 429 before the first token is retried, after the Retry-After the server asked for")
  void retriesA429AfterRetryAfter() throws Exception {
    server.then(FakeOpenAiServer.status(429, "{\"error\":{\"message\":\"slow down\"}}", "Retry-After", "1"))
        .then(FakeOpenAiServer.stream(delta("ok"), finish("stop")));

    ModelReply reply = new Run(model(), request(null)).reply();

    assertThat(reply.text()).isEqualTo("ok");
    assertThat(server.requests()).hasSize(2);
    long gapMs = TimeUnit.NANOSECONDS.toMillis(server.requests().get(1).atNanos()
        - server.requests().get(0).atNanos());
    // Without Retry-After the backoff here is under 10 ms; loosely, the server's second was waited for.
    assertThat(gapMs).isGreaterThanOrEqualTo(800);
  }

  /** Verifies that a 500 before the first token is retried and the caller sees only the good stream. */
  @Test
  @DisplayName("A 500 before the first token is retried; the caller sees only the successful stream")
  void retriesA500() throws Exception {
    server.then(FakeOpenAiServer.status(500, "{\"error\":{\"message\":\"oops\"}}"))
        .then(FakeOpenAiServer.stream(delta("fine"), finish("stop")));
    Run run = new Run(model(), request(null));

    assertThat(run.reply().text()).isEqualTo("fine");
    assertThat(run.deltas).containsExactly("fine");
    assertThat(server.requests()).hasSize(2);
  }

  /** Verifies that a server answering 500 every time fails the call after maxRetries retries. */
  @Test
  @DisplayName("A server that keeps answering 500 fails the call after maxRetries retries")
  void givesUpAfterMaxRetries() throws Exception {
    server.then(FakeOpenAiServer.status(503, "{\"error\":{\"message\":\"overloaded\"}}"));

    ModelException failure = new Run(model(), request(null)).failure();

    assertThat(failure.getMessage()).contains("503", "overloaded", "after 3 attempts");
    assertThat(server.requests()).hasSize(3);
  }

  /** Verifies that a 400 fails at once with the server's message and is not retried. */
  @Test
  @DisplayName("A 400 fails at once with the server's message, without a retry")
  void doesNotRetryA400() throws Exception {
    server.then(FakeOpenAiServer.status(400,
        "{\"error\":{\"message\":\"max_tokens is too large\",\"type\":\"invalid_request_error\"}}"));

    ModelException failure = new Run(model(), request(null)).failure();

    assertThat(failure.getMessage()).contains("400", "max_tokens is too large");
    assertThat(server.requests()).hasSize(1);
  }

  /** Verifies that the API key never appears in a failure, even when the server echoes it. */
  @Test
  @DisplayName("The API key appears in no failure message, even when the server echoes it back")
  void neverShowsTheApiKey() throws Exception {
    server.then(FakeOpenAiServer.status(401,
        "{\"error\":{\"message\":\"Incorrect API key provided: " + API_KEY + ".\"}}"));

    ModelException failure = new Run(model(), request(null)).failure();

    assertThat(failure.getMessage()).contains("401", "Incorrect API key provided: [redacted]");
    assertThat(OpenAiSettings.fromJson(new JsonObject().put("apiKey", API_KEY)).toString())
        .doesNotContain(API_KEY);
  }

  /** Verifies that a stream with no bytes for the idle timeout fails as stalled and is closed. */
  @Test
  @DisplayName("A stream that stalls mid-way fails as stalled, and its connection is closed")
  void failsAStalledStream() throws Exception {
    server.then(FakeOpenAiServer.stall(role(), delta("so")));
    Run run = new Run(model(new JsonObject().put("idleTimeoutMs", 300)), request(null));

    ModelException failure = run.failure();

    assertThat(failure.getMessage()).contains("stalled");
    assertThat(run.deltas).containsExactly("so");
    Await.until(() -> server.abandoned() == 1, WAIT, "the server to see the stalled stream closed");
    assertThat(server.requests()).hasSize(1);
  }

  /** Verifies that keep-alive comments do not count as a first token when a first-token timeout is set. */
  @Test
  @DisplayName("Keep-alive comments alone end in a first-token timeout when one is set")
  void failsWithoutAFirstToken() throws Exception {
    server.then(FakeOpenAiServer.drip(20, ": keep-alive\n\n"));
    Run run = new Run(model(new JsonObject().put("idleTimeoutMs", 5000).put("firstTokenTimeoutMs", 300)),
        request(null));

    assertThat(run.failure().getMessage()).contains("no token within 300 ms");
    Await.until(() -> server.abandoned() == 1, WAIT, "the server to see the stream closed");
  }

  /** Verifies that an event that is not JSON fails the call and is not retried. */
  @Test
  @DisplayName("A malformed event fails the call, without a retry")
  void failsOnMalformedEvents() throws Exception {
    server.then(FakeOpenAiServer.raw("data: " + delta("x") + "\n\n", "data: {not json\n\n"));
    Run run = new Run(model(), request(null));

    assertThat(run.failure().getMessage()).contains("malformed");
    assertThat(server.requests()).hasSize(1);
  }

  /** Verifies that an error object sent mid-stream fails the call with its message. */
  @Test
  @DisplayName("An error event mid-stream fails the call with the server's message")
  void failsOnAnErrorEvent() throws Exception {
    server.then(FakeOpenAiServer.stream(delta("x"), "{\"error\":{\"message\":\"engine died\"}}"));

    assertThat(new Run(model(), request(null)).failure().getMessage()).contains("engine died");
  }

  /** Verifies that a stream ending with neither [DONE] nor a finish reason is a failure. */
  @Test
  @DisplayName("A stream that ends without [DONE] or a finish reason fails")
  void failsATruncatedStream() throws Exception {
    server.then(FakeOpenAiServer.raw("data: " + delta("half") + "\n\n"));

    assertThat(new Run(model(), request(null)).failure().getMessage()).contains("ended before [DONE]");
  }

  /** Verifies that a 200 answer that is not an event stream is a failure. */
  @Test
  @DisplayName("A 200 answer that is not an event stream fails")
  void failsWhenNotAnEventStream() throws Exception {
    server.then(FakeOpenAiServer.status(200, "{\"choices\":[]}"));

    assertThat(new Run(model(), request(null)).failure().getMessage()).contains("instead of an event stream");
  }

  /** Verifies that a connection closed after some tokens fails the call and is not retried. */
  @Test
  @DisplayName("A connection closed mid-stream fails the call, without a retry")
  void failsWhenTheConnectionDropsMidStream() throws Exception {
    server.then(FakeOpenAiServer.dropAfter(role(), delta("par"), delta("tial")));
    Run run = new Run(model(), request(null));

    assertThat(run.failure()).isInstanceOf(ModelException.class);
    assertThat(run.deltas).containsExactly("par", "tial");
    assertThat(server.requests()).hasSize(1);
  }

  /** Verifies that a connection dropped before any answer is retried. */
  @Test
  @DisplayName("A connection dropped before the answer is retried")
  void retriesAConnectionDroppedBeforeTheAnswer() throws Exception {
    server.then(FakeOpenAiServer.hangUp()).then(FakeOpenAiServer.stream(delta("again"), finish("stop")));

    assertThat(new Run(model(), request(null)).reply().text()).isEqualTo("again");
    assertThat(server.requests()).hasSize(2);
  }

  /** Verifies that a server nobody listens for fails the call after the retries, naming the address. */
  @Test
  @DisplayName("An unreachable server fails the call after the retries")
  void failsWhenUnreachable() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    model = new OpenAiModel(vertx, OpenAiSettings.fromJson(new JsonObject()
        .put("baseUrl", "http://127.0.0.1:" + port + "/v1").put("apiKey", API_KEY)
        .put("retryInitialDelayMs", 10)));

    assertThat(new Run(model, request(null)).failure().getMessage())
        .contains("could not reach", "127.0.0.1:" + port, "after 3 attempts");
  }

  /** Verifies that cancel mid-stream closes the HTTP stream, fails the result and stops the deltas. */
  @Test
  @DisplayName("Cancel mid-stream: the server sees the client leave, the result fails, no more deltas")
  void cancelClosesTheStream() throws Exception {
    server.then(FakeOpenAiServer.drip(20, null));
    Run run = new Run(model(), request(null));
    Await.until(() -> run.deltas.size() >= 2, WAIT, "two deltas");

    run.cancelOnContext();
    run.cancelOnContext();

    Await.until(() -> server.abandoned() == 1, WAIT, "the server to see the stream closed");
    ModelException failure = run.failure();
    assertThat(failure.getMessage()).isEqualTo("cancelled");
    // The drip would have sent several more by now; none reached the caller after cancel.
    run.onContext(() -> true);
    assertThat(run.deltas).hasSize(run.deltasAtCancel.get());
  }

  /** Verifies that a call cancelled before the server answers ends at once and does not retry. */
  @Test
  @DisplayName("Cancel before the answer fails the result and sends nothing further")
  void cancelBeforeTheAnswer() throws Exception {
    server.then(request -> { });
    // A long idle timeout, so that only the cancel can close the connection within the wait below.
    Run run = new Run(model(new JsonObject().put("idleTimeoutMs", 60_000)), request(null));
    Await.until(() -> server.requests().size() == 1, WAIT, "the request to arrive");

    run.cancelOnContext();

    assertThat(run.failure().getMessage()).isEqualTo("cancelled");
    Await.until(() -> server.abandoned() == 1, WAIT, "the server to see the request abandoned");
    assertThat(server.requests()).hasSize(1);
  }

  /** Verifies that closing the provider ends a call in flight, which fails rather than hangs. */
  @Test
  @DisplayName("Closing the provider mid-stream fails the call in flight")
  void closeFailsCallsInFlight() throws Exception {
    server.then(FakeOpenAiServer.drip(20, null));
    Run run = new Run(model(), request(null));
    Await.until(() -> !run.deltas.isEmpty(), WAIT, "a delta");

    model.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(run.failure().getMessage()).contains("lost");
    Await.until(() -> server.abandoned() == 1, WAIT, "the server to see the stream closed");
  }

  /** One generation started on its own context, with what the test needs to watch it. */
  private final class Run {
    final Context context = vertx.getOrCreateContext();
    final List<String> deltas = new CopyOnWriteArrayList<>();
    final AtomicBoolean offContext = new AtomicBoolean();
    final AtomicInteger deltasAtCancel = new AtomicInteger(-1);
    final ModelCall call;
    private volatile Thread thread;

    Run(OpenAiModel model, ModelRequest request) throws Exception {
      CompletableFuture<ModelCall> started = new CompletableFuture<>();
      context.runOnContext(v -> {
        thread = Thread.currentThread();
        ModelCall c = model.generate(request, delta -> {
          offContext.compareAndSet(false, Thread.currentThread() != thread);
          deltas.add(delta);
        });
        c.result().onComplete(ar -> offContext.compareAndSet(false, Thread.currentThread() != thread));
        started.complete(c);
      });
      call = started.get(10, TimeUnit.SECONDS);
    }

    ModelReply reply() {
      Await.until(() -> call.result().isComplete(), WAIT, "the call to end");
      assertThat(call.result().cause()).isNull();
      return call.result().result();
    }

    ModelException failure() {
      Await.until(() -> call.result().isComplete(), WAIT, "the call to end");
      assertThat(call.result().failed()).isTrue();
      assertThat(call.result().cause()).isInstanceOf(ModelException.class);
      assertThat(call.result().cause().getMessage()).doesNotContain(API_KEY);
      assertThat(offContext).isFalse();
      return (ModelException) call.result().cause();
    }

    void cancelOnContext() throws Exception {
      onContext(() -> {
        deltasAtCancel.compareAndSet(-1, deltas.size());
        call.cancel();
        return true;
      });
    }

    <T> T onContext(Supplier<T> action) throws Exception {
      CompletableFuture<T> done = new CompletableFuture<>();
      context.runOnContext(v -> done.complete(action.get()));
      return done.get(10, TimeUnit.SECONDS);
    }
  }
}
