package chatworker.cli;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A contract client over a node's HTTP API (shared/CONTRACT.md, "HTTP API"), for {@code submit --http}:
 * the same requests and resends as {@link SubmitClient}, without joining the cluster. Non-blocking
 * (Vert.x's HttpClient); a generate given {@code onDelta} streams as server-sent events. Its jobId
 * travels as the {@code Idempotency-Key}, so a generate that got no answer (connection refused or
 * lost, nothing heard for the request timeout, a stream cut before its done or error event) is
 * resent safely. The API key, when given, goes as {@code Authorization: Bearer}; nothing prints it.
 */
public final class HttpSubmitClient implements ContractClient {

  /** An event-stream line longer than this is not the API's: fail rather than buffer without bound. */
  private static final int MAX_LINE_BYTES = 1 << 20;

  private final Vertx vertx;
  private final Context context;
  private final HttpClientAgent http;
  private final String base;
  private final String authorization;
  private final long requestTimeoutMs;
  private final int maxResends;
  private final RetryPolicy backoff = RetryPolicy.exponentialDelayWithJitter(100, 5_000);

  /**
   * @param base the node's URL, checked by {@link #baseUri(String)}
   * @param apiKey sent as a bearer token; null or blank: none
   * @param requestTimeoutMs how long a request may hear nothing (connecting, waiting, between chunks)
   * @param maxResends resends of a request that got no answer
   * @param maxConnections connections kept to the node (a batch's concurrency)
   */
  public HttpSubmitClient(Vertx vertx, URI base, String apiKey, long requestTimeoutMs, int maxResends,
      int maxConnections) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(Math.max(1, maxConnections)));
    this.base = base.toString();
    this.authorization = apiKey == null || apiKey.isBlank() ? null : "Bearer " + apiKey.strip();
    this.requestTimeoutMs = requestTimeoutMs;
    this.maxResends = maxResends;
  }

  /** A node's URL as given on a command line: http or https, a host, no query; a trailing slash dropped. */
  public static URI baseUri(String url) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getMessage());
    }
    boolean web = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
    if (!web || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "'" + url + "' is not an http:// or https:// URL of a node (e.g. http://127.0.0.1:8080)");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
    return URI.create(uri.getScheme().toLowerCase() + "://" + uri.getRawAuthority() + path);
  }

  /**
   * Sent again (up to the resends allowed, with backoff) only when the connection was refused: the
   * request reached no node, so sending it again is safe for any request.
   */
  @Override
  public Future<JsonObject> request(String address, JsonObject body) {
    HttpRoute route;
    try {
      route = HttpRoute.of(address, body);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new ApiException(ErrorCode.INVALID_REQUEST, e.getMessage()));
    }
    return request(route, 0);
  }

  private Future<JsonObject> request(HttpRoute route, int resends) {
    return exchange(route, null, null).recover(err -> {
      if (err instanceof ConnectException && resends < maxResends) {
        Promise<JsonObject> again = Promise.promise();
        vertx.setTimer(Math.max(1, backoff.delay(err, resends + 1)),
            t -> request(route, resends + 1).onComplete(again));
        return again.future();
      }
      return Future.failedFuture(err);
    });
  }

  @Override
  public Future<Outcome> generate(JsonObject request, Consumer<String> onDelta, long giveUpAtNanos) {
    String jobId = request.getString("jobId", UUID.randomUUID().toString());
    HttpRoute route;
    try {
      route = HttpRoute.generate(request);
    } catch (IllegalArgumentException e) {
      ApiException invalid = new ApiException(ErrorCode.INVALID_REQUEST, e.getMessage());
      return Future.succeededFuture(new Outcome(null, invalid, false, 0));
    }
    if (onDelta != null) {
      route.body().put("stream", true);
    } else {
      route.body().remove("stream");
    }
    Promise<Outcome> outcome = Promise.promise();
    attempt(route, jobId, onDelta, 0, giveUpAtNanos, outcome);
    return outcome.future();
  }

  private void attempt(HttpRoute route, String jobId, Consumer<String> onDelta, int resends,
      long giveUpAtNanos, Promise<Outcome> outcome) {
    exchange(route, jobId, onDelta).onComplete(ar -> {
      if (ar.succeeded()) {
        outcome.complete(new Outcome(ar.result(), null, false, resends));
      } else if (ar.cause() instanceof ApiException failure) {
        outcome.complete(new Outcome(null, failure, false, resends));
      } else if (resends >= maxResends || System.nanoTime() - giveUpAtNanos >= 0) {
        outcome.complete(new Outcome(null, null, true, resends));
      } else {
        vertx.setTimer(Math.max(1, backoff.delay(ar.cause(), resends + 1)),
            t -> attempt(route, jobId, onDelta, resends + 1, giveUpAtNanos, outcome));
      }
    });
  }

  /**
   * One HTTP exchange: the reply (the JSON body, or a stream's {@code done} event), the ApiException
   * the node answered, or the transport's failure (no answer).
   */
  private Future<JsonObject> exchange(HttpRoute route, String jobId, Consumer<String> onDelta) {
    // In one task of a context (the caller's, else the client's own): a response's body handlers must
    // be set in the task that delivers its head, or its chunks are dropped. Chained from the submit
    // command's main thread, a listener added to a future that had just completed ran a task later,
    // after a short stream had already ended: the stream went unheard and the command waited forever.
    if (Vertx.currentContext() != null) {
      return send(route, jobId, onDelta);
    }
    Promise<JsonObject> result = Promise.promise();
    context.runOnContext(v -> send(route, jobId, onDelta).onComplete(result));
    return result.future();
  }

  private Future<JsonObject> send(HttpRoute route, String jobId, Consumer<String> onDelta) {
    boolean streaming = onDelta != null;
    RequestOptions options = new RequestOptions().setMethod(route.method())
        .setAbsoluteURI(base + route.path()).setConnectTimeout(requestTimeoutMs).setIdleTimeout(requestTimeoutMs)
        .putHeader(HttpHeaders.ACCEPT, streaming ? "text/event-stream" : "application/json");
    if (authorization != null) {
      options.putHeader(HttpHeaders.AUTHORIZATION, authorization);
    }
    if (jobId != null) {
      options.putHeader("Idempotency-Key", jobId);
    }
    return http.request(options)
        .compose(request -> route.body() == null ? request.send()
            : request.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").send(route.body().toBuffer()))
        .compose(response -> streaming && response.statusCode() == 200 && isEventStream(response)
            ? events(response, onDelta)
            : response.body().compose(body -> answer(response.statusCode(), body)));
  }

  private static boolean isEventStream(HttpClientResponse response) {
    String type = response.getHeader(HttpHeaders.CONTENT_TYPE);
    return type != null && type.toLowerCase().startsWith("text/event-stream");
  }

  /** A stream: its chunks to {@code onDelta} in order; {@code done} the reply, {@code error} the failure. */
  private static Future<JsonObject> events(HttpClientResponse response, Consumer<String> onDelta) {
    Promise<JsonObject> result = Promise.promise();
    EventStreamReader reader = new EventStreamReader((event, data) -> {
      switch (event) {
        case "chunk" -> onDelta.accept(json(data).getString("delta", ""));
        case "done" -> result.tryComplete(json(data));
        case "error" -> result.tryFail(failure(json(data), 500));
        default -> { } // not the contract's: ignored, as an event-stream client must
      }
    });
    RecordParser lines = RecordParser.newDelimited("\n", response).maxRecordSize(MAX_LINE_BYTES);
    lines.handler(line -> {
      if (!result.future().isComplete()) {
        try {
          reader.line(line.toString(StandardCharsets.UTF_8));
        } catch (ApiException malformed) {
          result.tryFail(malformed);
        }
      }
    });
    lines.exceptionHandler(result::tryFail);
    lines.endHandler(v -> result.tryFail(new EOFException("the stream ended before its done or error")));
    return result.future();
  }

  /**
   * A whole response: its JSON on 2xx; the contract failure of an error body {@code {code, message}};
   * any other answer (a proxy's error page) as no answer from the cluster.
   */
  private static Future<JsonObject> answer(int status, Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8);
    try {
      if (status >= 200 && status < 300) {
        return Future.succeededFuture(json(text));
      }
      JsonObject error = json(text);
      if (error.getValue("code") instanceof String) {
        return Future.failedFuture(failure(error, status));
      }
    } catch (ApiException malformed) {
      if (status >= 200 && status < 300) {
        return Future.failedFuture(malformed);
      }
    }
    return Future.failedFuture(
        new IOException("HTTP " + status + " without a contract error: " + abbreviate(text)));
  }

  /** The failure an error body {@code {code, message}} names: by name, else HTTP status, else INTERNAL. */
  static ApiException failure(JsonObject error, int status) {
    ErrorCode code = null;
    if (error.getValue("code") instanceof String name) {
      try {
        code = ErrorCode.valueOf(name);
      } catch (IllegalArgumentException unknown) {
        code = ErrorCode.of(status);
      }
    }
    String message = error.getValue("message") instanceof String text ? text : error.encode();
    return new ApiException(code == null ? ErrorCode.INTERNAL : code, message);
  }

  private static JsonObject json(String text) {
    try {
      return new JsonObject(text);
    } catch (RuntimeException e) {
      throw new ApiException(ErrorCode.INTERNAL, "the node answered no JSON object: " + abbreviate(text));
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }
}
