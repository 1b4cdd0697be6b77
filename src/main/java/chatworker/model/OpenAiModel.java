package chatworker.model;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A model behind any OpenAI-compatible {@code /v1/chat/completions} server (OpenAI, vLLM, Ollama,
 * llama.cpp), streamed over server-sent events. One pooled keep-alive HTTP client per instance;
 * {@link #close()} closes it. See docs/MODELS.md for the behaviour on errors, retries, timeouts and
 * cancel.
 */
public final class OpenAiModel implements ModelProvider {

  public static final String NAME = "openai";

  /** Request options passed on, as {@code options} key → OpenAI field; camelCase or the OpenAI name. */
  static final Map<String, String> OPTIONS = Map.of(
      "temperature", "temperature",
      "topP", "top_p",
      "maxTokens", "max_tokens",
      "presencePenalty", "presence_penalty",
      "frequencyPenalty", "frequency_penalty",
      "stop", "stop",
      "seed", "seed");

  private final Vertx vertx;
  private final OpenAiSettings settings;
  private final HttpClientAgent client;

  public OpenAiModel(Vertx vertx, OpenAiSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    HttpClientOptions options = new HttpClientOptions()
        .setKeepAlive(true)
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true)
        .setSsl(settings.tls())
        .setVerifyHost(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.connectTimeoutMs()))
        // A backstop for sockets the calls no longer watch (pooled, or left open after [DONE]); a call's
        // own idle check fires first and says why.
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, 2 * settings.idleTimeoutMs()))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    this.client = vertx.createHttpClient(options,
        new PoolOptions().setHttp1MaxSize(settings.maxConnections()));
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Starts a streaming chat completion. Deltas and the result arrive on the caller's context. The result
   * fails with a {@link ModelException} on any provider failure, or with the exception {@code onDelta}
   * threw, if it threw.
   */
  @Override
  public ModelCall generate(ModelRequest request, Consumer<String> onDelta) {
    Buffer body;
    try {
      body = body(request).toBuffer();
    } catch (RuntimeException e) {
      return failed(new ModelException("the request cannot be encoded for the model server: "
          + OpenAiErrors.describe(e)));
    }
    OpenAiCall call = new OpenAiCall(vertx, vertx.getOrCreateContext(), client, settings,
        this::requestOptions, body, request.turns(), onDelta);
    call.start();
    return call;
  }

  private static ModelCall failed(ModelException failure) {
    return new ModelCall() {
      @Override
      public Future<ModelReply> result() {
        return Future.failedFuture(failure);
      }

      @Override
      public void cancel() {
      }
    };
  }

  /** Closes the HTTP client and its connections; calls still running fail. */
  public Future<Void> close() {
    return client.close();
  }

  private RequestOptions requestOptions() {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(settings.chatCompletionsUrl())
        .setConnectTimeout(settings.connectTimeoutMs())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.ACCEPT, "text/event-stream");
    if (settings.hasApiKey()) {
      options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + settings.apiKey());
    }
    return options;
  }

  /** The JSON posted for {@code request}: model, messages, streaming with usage, and the mapped options. */
  static JsonObject body(ModelRequest request) {
    JsonArray messages = new JsonArray();
    for (ChatTurn turn : request.turns()) {
      messages.add(new JsonObject().put("role", turn.role()).put("content", turn.text()));
    }
    JsonObject body = new JsonObject()
        .put("model", request.model())
        .put("messages", messages)
        .put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    JsonObject options = request.options() == null ? new JsonObject() : request.options();
    OPTIONS.forEach((ours, theirs) -> {
      Object value = options.getValue(ours) != null ? options.getValue(ours) : options.getValue(theirs);
      if (value != null) {
        body.put(theirs, value);
      }
    });
    return body;
  }
}
