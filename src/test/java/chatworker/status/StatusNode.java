package chatworker.status;

import chatworker.api.ApiException;
import chatworker.cli.NodeVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One whole node (NodeVerticle: API, generation, status) on a non-clustered Vert.x against a test
 * Redis, a client that speaks the contract over its event bus, and one that speaks HTTP to its status
 * endpoint. (The pattern of generation's NodeHarness, with the Vert.x chosen by the test.)
 */
final class StatusNode implements AutoCloseable {

  static final String NODE_ID = "status-node";
  static final List<String> MEMBERS = List.of(NODE_ID, "other-node");

  final Vertx vertx;
  final NodeVerticle node;
  private final HttpClient http = HttpClient.newHttpClient();
  private final String deploymentId;

  /** A node on a plain {@code Vertx.vertx()}: no Micrometer backend in Vert.x. */
  StatusNode(String redisUrl) {
    this(redisUrl, Vertx.vertx());
  }

  /** A node on the given Vert.x, which this closes. */
  StatusNode(String redisUrl, Vertx vertx) {
    this.vertx = vertx;
    JsonObject config = new JsonObject()
        .put("redis", new JsonObject().put("url", redisUrl).put("commandTimeoutMs", 500)
            .put("defaultDeadlineMs", 1_000).put("connectTimeoutMs", 500).put("healthCheckIntervalMs", 100)
            .put("readIdleTimeoutMs", 2_000)
            .put("reconnect", new JsonObject().put("initialDelayMs", 20).put("maxDelayMs", 200))
            .put("breaker", new JsonObject().put("resetTimeoutMs", 300)))
        .put("http", new JsonObject().put("port", 0))
        .put("generation", new JsonObject().put("instances", 2).put("lockLeaseMs", 3_000))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
    node = new NodeVerticle(config, NODE_ID, () -> MEMBERS);
    deploymentId = await(vertx.deployVerticle(node));
  }

  /** A contract request; fails with the ApiException the node answered. */
  Future<JsonObject> request(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(30_000))
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(ApiException.fromReply(err)));
  }

  JsonObject call(String address, Object body) {
    return await(request(address, body));
  }

  /** The ApiException a request fails with. */
  ApiException failure(String address, Object body) {
    try {
      call(address, body);
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("expected " + address + " to fail");
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<String> post(String path, String body) {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  /** {@code GET /status} as JSON, checked to be 200. */
  JsonObject status() {
    HttpResponse<String> response = get("/status");
    if (response.statusCode() != 200) {
      throw new AssertionError("/status answered " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body());
  }

  /** {@code GET /metrics}, checked to be 200 and well-formed Prometheus text. */
  PrometheusText metrics() {
    HttpResponse<String> response = get("/metrics");
    if (response.statusCode() != 200) {
      throw new AssertionError("/metrics answered " + response.statusCode() + ": " + response.body());
    }
    return PrometheusText.parse(response.body());
  }

  /** Undeploys the node (Vert.x stays up). */
  void undeploy() {
    await(vertx.undeploy(deploymentId));
  }

  /** The request's own timeout ends with the response headers; this bounds the body too. */
  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.sendAsync(request.timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.httpPort() + path);
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer in time", e);
    }
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
