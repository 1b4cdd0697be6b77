package chatworker.bench;

import chatworker.testing.HttpReplies;
import chatworker.testing.ServerSentEvents;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link ClosedLoop.Generate}s through the workers' HTTP API, on one Vert.x HttpClient (HTTP/1.1,
 * keep-alive, no pipelining: one request per connection at a time) whose pool holds up to
 * {@code connectionsPerWorker} connections to each worker. Requests go round robin over the workers,
 * as a load balancer would send them. Counts the connections it opened and the generates a worker
 * other than the one asked ran (the API carries each over the event bus, so any node may run it).
 * Use it from one context (a {@link ClosedLoop}'s); close it after the phase.
 */
final class HttpLoad {

  private final HttpClientAgent client;
  private final List<WorkerCluster.Worker> workers;
  private final LongAdder connections = new LongAdder();
  private int next;
  private long answered;
  private long ranElsewhere;

  HttpLoad(Vertx vertx, List<WorkerCluster.Worker> workers, int connectionsPerWorker) {
    this.workers = workers;
    this.client = vertx.httpClientBuilder()
        .with(new HttpClientOptions().setKeepAlive(true).setPipelining(false).setDefaultHost("127.0.0.1"))
        .with(new PoolOptions().setHttp1MaxSize(connectionsPerWorker))
        .withConnectHandler(connection -> connections.increment())
        .build();
  }

  /** {@code POST /v1/chats/{id}/generate} with {@code {"text"}} and the jobId as Idempotency-Key; JSON reply. */
  ClosedLoop.Generate generate() {
    return (chatId, jobId, text) -> {
      WorkerCluster.Worker worker = nextWorker();
      return post(worker, chatId, jobId, new JsonObject().put("text", text))
          .compose(response -> response.body().compose(body -> HttpReplies.of(response.statusCode(), body)))
          .andThen(reply -> count(worker, reply.result()));
    };
  }

  /** The same generate with {@code "stream": true}: read as server-sent events, answered by the {@code done} event. */
  ClosedLoop.Generate stream() {
    return (chatId, jobId, text) -> {
      WorkerCluster.Worker worker = nextWorker();
      return post(worker, chatId, jobId, new JsonObject().put("text", text).put("stream", true))
          .compose(this::lastEvent)
          .andThen(reply -> count(worker, reply.result()));
    };
  }

  /**
   * {@code GET /health/live}: the HTTP port's own cost (the router's root handlers, no validation, no
   * event bus, no Redis), answered as if it were the generate's reply so that a {@link ClosedLoop} can
   * drive it.
   */
  ClosedLoop.Generate healthProbe() {
    return (chatId, jobId, text) -> client.request(new RequestOptions().setMethod(HttpMethod.GET)
            .setPort(nextWorker().httpPort()).setURI("/health/live"))
        .compose(request -> request.send())
        .compose(response -> response.body().compose(body -> HttpReplies.of(response.statusCode(), body)))
        .map(live -> new JsonObject().put("message", new JsonObject().put("text", "You said: " + text)));
  }

  /** Connections opened so far. */
  long connections() {
    return connections.sum();
  }

  /** Of the generates answered, the share (%) that a worker other than the one asked ran. */
  double ranElsewherePct() {
    return answered == 0 ? 0 : 100.0 * ranElsewhere / answered;
  }

  Future<Void> close() {
    return client.close();
  }

  private WorkerCluster.Worker nextWorker() {
    WorkerCluster.Worker worker = workers.get(next);
    next = (next + 1) % workers.size();
    return worker;
  }

  private Future<HttpClientResponse> post(WorkerCluster.Worker worker, String chatId, String jobId, JsonObject body) {
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setPort(worker.httpPort())
            .setURI("/v1/chats/" + chatId + "/generate")
            .putHeader("content-type", "application/json").putHeader("idempotency-key", jobId))
        .compose(request -> request.send(body.toBuffer()));
  }

  /** The stream's {@code done} event as the reply, or its {@code error} event as the failure. */
  private Future<JsonObject> lastEvent(HttpClientResponse response) {
    if (response.statusCode() != 200) {
      return response.body().compose(body -> HttpReplies.of(response.statusCode(), body));
    }
    Promise<JsonObject> reply = Promise.promise();
    ServerSentEvents events = new ServerSentEvents(event -> {
      switch (event.name()) {
        case "done" -> reply.tryComplete(new JsonObject(event.data()));
        case "error" -> reply.tryFail(HttpReplies.failure(500, event.data()));
        default -> { } // a chunk: the reply holds the whole text
      }
    });
    response.handler(events::feed);
    response.exceptionHandler(reply::tryFail);
    response.endHandler(v -> reply.tryFail("the stream ended without a done or error event"));
    return reply.future();
  }

  private void count(WorkerCluster.Worker asked, JsonObject reply) {
    if (reply != null) {
      answered++;
      if (!asked.nodeId().equals(reply.getString("node"))) {
        ranElsewhere++;
      }
    }
  }
}
