package chatworker.model;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible {@code /v1/chat/completions} server on a free loopback port, scripted per test:
 * each request is answered by the next queued {@link Step}; the last step answers all further requests.
 * It records every request and counts responses the client abandoned (connection closed mid-answer).
 */
final class FakeOpenAiServer {

  /** How to answer one request. Runs on the server's event loop. */
  @FunctionalInterface
  interface Step {
    void answer(HttpServerRequest request);
  }

  /** A request as the server saw it. */
  record Seen(long atNanos, MultiMap headers, JsonObject body) {}

  private final HttpServer server;
  private final ConcurrentLinkedDeque<Step> steps = new ConcurrentLinkedDeque<>();
  private final List<Seen> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger abandoned = new AtomicInteger();

  private FakeOpenAiServer(Vertx vertx) {
    server = vertx.createHttpServer().requestHandler(this::handle);
  }

  /** Starts a server on a free port of 127.0.0.1. */
  static FakeOpenAiServer start(Vertx vertx) throws Exception {
    FakeOpenAiServer fake = new FakeOpenAiServer(vertx);
    fake.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return fake;
  }

  /** Queues the answer to the next request not yet scripted. */
  FakeOpenAiServer then(Step step) {
    steps.addLast(step);
    return this;
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1";
  }

  List<Seen> requests() {
    return requests;
  }

  /**
   * Responses whose connection closed before the server ended them: the client went away (or a step
   * such as {@link #hangUp()} closed it itself).
   */
  int abandoned() {
    return abandoned.get();
  }

  void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private void handle(HttpServerRequest request) {
    request.response().closeHandler(v -> abandoned.incrementAndGet());
    request.body().onSuccess(body -> {
      requests.add(new Seen(System.nanoTime(), MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
          body.toJsonObject()));
      Step step = steps.size() > 1 ? steps.pollFirst() : steps.peekFirst();
      if (!"/v1/chat/completions".equals(request.path()) || step == null) {
        request.response().setStatusCode(404).end();
      } else {
        step.answer(request);
      }
    });
  }

  // ---- steps ----

  /** Streams {@code events} (each an SSE data payload), then {@code [DONE]}, then ends. */
  static Step stream(String... events) {
    return request -> {
      HttpServerResponse response = eventStream(request);
      for (String event : events) {
        response.write("data: " + event + "\n\n");
      }
      response.end("data: [DONE]\n\n");
    };
  }

  /** Writes {@code chunks} as they are (raw SSE bytes, each a separate write), then ends. */
  static Step raw(String... chunks) {
    return request -> {
      HttpServerResponse response = eventStream(request);
      for (String chunk : chunks) {
        response.write(chunk);
      }
      response.end();
    };
  }

  /** Streams {@code events}, then sends nothing more and never ends. */
  static Step stall(String... events) {
    return request -> {
      HttpServerResponse response = eventStream(request);
      for (String event : events) {
        response.write("data: " + event + "\n\n");
      }
    };
  }

  /** Streams {@code events}, then closes the connection without ending the response. */
  static Step dropAfter(String... events) {
    return request -> {
      HttpServerResponse response = eventStream(request);
      for (String event : events) {
        response.write("data: " + event + "\n\n");
      }
      request.connection().close();
    };
  }

  /** Closes the connection without answering at all. */
  static Step hangUp() {
    return request -> request.connection().close();
  }

  /** Writes {@code chunk} (null: a new delta "tN ") every {@code periodMs} until the client goes away. */
  static Step drip(long periodMs, String chunk) {
    return request -> {
      HttpServerResponse response = eventStream(request);
      AtomicInteger n = new AtomicInteger();
      Vertx vertx = Vertx.currentContext().owner();
      vertx.setPeriodic(periodMs, timer -> {
        if (response.closed()) {
          vertx.cancelTimer(timer);
        } else {
          response.write(chunk == null ? "data: " + delta("t" + n.getAndIncrement() + " ") + "\n\n" : chunk);
        }
      });
    };
  }

  /** Answers {@code status} with {@code body} and the header pairs given. */
  static Step status(int status, String body, String... headers) {
    return request -> {
      HttpServerResponse response = request.response().setStatusCode(status);
      for (int i = 0; i + 1 < headers.length; i += 2) {
        response.putHeader(headers[i], headers[i + 1]);
      }
      response.putHeader("Content-Type", "application/json").end(body);
    };
  }

  private static HttpServerResponse eventStream(HttpServerRequest request) {
    return request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
  }

  // ---- chunks ----

  /** A {@code chat.completion.chunk} adding {@code content}. */
  static String delta(String content) {
    return chunk(new JsonObject().put("content", content), null).encode();
  }

  /** The first chunk servers send: the role, empty content. */
  static String role() {
    return chunk(new JsonObject().put("role", "assistant").put("content", ""), null).encode();
  }

  /** The last chunk of the choice, with its finish reason. */
  static String finish(String reason) {
    return chunk(new JsonObject(), reason).encode();
  }

  /** The usage chunk of {@code stream_options.include_usage}: no choices. */
  static String usage(int prompt, int completion) {
    return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
        .put("choices", new JsonArray())
        .put("usage", new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
            .put("total_tokens", prompt + completion))
        .encode();
  }

  private static JsonObject chunk(JsonObject delta, String finishReason) {
    return new JsonObject().put("id", "chatcmpl-1").put("object", "chat.completion.chunk")
        .put("model", "fake").put("choices", new JsonArray().add(new JsonObject().put("index", 0)
            .put("delta", delta).put("finish_reason", finishReason)));
  }
}
