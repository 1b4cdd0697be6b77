package chatworker.http;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * One generate's server-sent events: {@code chunk} events as they come (each written at once, nothing
 * held back), then exactly one {@code done} or {@code error}. A reader that leaves more than the bound
 * unread gets an {@code error} (OVERLOADED) and the connection closes; the job itself goes on and is
 * stored. A reader that goes away stops nothing either. A job resent after a node died streams again
 * from seq 0: chunks already delivered are not repeated, so seq only grows.
 */
final class SseStream {

  private static final long CLOSE_UNREAD_AFTER_MS = 5_000;

  private final Vertx vertx;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final String jobId;
  private final int bufferBytes;
  private long lastSeq = -1;
  private boolean ended;

  SseStream(Vertx vertx, HttpServerRequest request, String jobId, int bufferBytes) {
    this.vertx = vertx;
    this.request = request;
    this.response = request.response();
    this.jobId = jobId;
    this.bufferBytes = bufferBytes;
    response.setStatusCode(200).setChunked(true).setWriteQueueMaxSize(bufferBytes)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no"); // a proxy in front must not buffer either
    response.closeHandler(v -> ended = true);
  }

  /** Sends the head: the reader knows the stream is open before the first chunk. */
  void start() {
    response.writeHead();
  }

  /** The reader is gone or the stream ended. */
  boolean ended() {
    return ended;
  }

  void chunk(JsonObject chunk) {
    long seq = chunk.getLong("seq", -1L);
    if (ended || seq <= lastSeq) {
      return;
    }
    if (response.writeQueueFull()) {
      error(new ApiException(ErrorCode.OVERLOADED, "the stream was read too slowly (more than " + bufferBytes
          + " bytes unread); job '" + jobId + "' goes on: GET /v1/jobs/" + jobId));
      // The error event itself may never be read: the connection goes after a grace period.
      vertx.setTimer(CLOSE_UNREAD_AFTER_MS, t -> request.connection().close());
      return;
    }
    lastSeq = seq;
    response.write(event("chunk", chunk));
  }

  void done(JsonObject reply) {
    end(event("done", reply));
  }

  void error(ApiException failure) {
    end(event("error", failure.toJson()));
  }

  private void end(String lastEvent) {
    if (ended) {
      return;
    }
    ended = true;
    response.end(lastEvent);
  }

  private static String event(String name, JsonObject data) {
    return "event: " + name + "\ndata: " + data.encode() + "\n\n";
  }
}
