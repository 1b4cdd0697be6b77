package chatworker.testing;

import static chatworker.testing.Await.await;

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
import java.util.concurrent.TimeUnit;

/**
 * One whole node (NodeVerticle: API, generation, status) on a non-clustered Vert.x against a test
 * Redis, with a client that speaks the contract over its event bus and one that speaks HTTP to it.
 *
 * <p>The node's config is short on every timeout, so that tests of faults end in seconds; a test
 * changes what it needs through {@code overrides}. Blocking: call it from the test thread, never from
 * a Vert.x event loop. {@link #close()} closes the Vert.x, node and all.
 */
public final class TestNode implements AutoCloseable {

  /** The node id (and only cluster member) unless the test names its own. */
  private static final String DEFAULT_NODE_ID = "test-node";
  private static final long SEND_TIMEOUT_MS = 60_000;
  private static final Duration AWAIT_TIMEOUT = Duration.ofSeconds(90);

  private final Vertx vertx;
  private final NodeVerticle node;
  private final String deploymentId;
  private HttpClient http;

  /**
   * A node's configuration with short Redis timeouts, so that the breaker opens and closes within
   * seconds, and any free HTTP port: what every TestNode runs with before its overrides.
   */
  public static JsonObject fastConfig(String redisUrl) {
    return new JsonObject()
        .put("redis", new JsonObject().put("url", redisUrl).put("commandTimeoutMs", 500)
            .put("defaultDeadlineMs", 2_000).put("connectTimeoutMs", 500).put("healthCheckIntervalMs", 200)
            .put("readIdleTimeoutMs", 2_000)
            .put("reconnect", new JsonObject().put("initialDelayMs", 20).put("maxDelayMs", 200))
            .put("breaker", new JsonObject().put("resetTimeoutMs", 300)))
        .put("http", new JsonObject().put("port", 0))
        .put("generation", new JsonObject().put("instances", 2).put("lockLeaseMs", 3_000))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
  }

  /** A node on a plain {@code Vertx.vertx()} with the default config. */
  public TestNode(String redisUrl) {
    this(redisUrl, new JsonObject());
  }

  /**
   * A node on a plain {@code Vertx.vertx()}; {@code overrides} is merged into the config section by
   * section (e.g. {@code {"generation": {...}}} replaces only the keys it names in that section).
   */
  public TestNode(String redisUrl, JsonObject overrides) {
    this(Vertx.vertx(), redisUrl, overrides, DEFAULT_NODE_ID, List.of(DEFAULT_NODE_ID));
  }

  /**
   * A node on the given Vert.x, which this closes, named {@code nodeId} and seeing {@code members} as
   * its cluster; {@code overrides} as in {@link #TestNode(String, JsonObject)}.
   */
  public TestNode(Vertx vertx, String redisUrl, JsonObject overrides, String nodeId, List<String> members) {
    this.vertx = vertx;
    JsonObject config = fastConfig(redisUrl);
    overrides.forEach(section -> config.put(section.getKey(),
        config.getJsonObject(section.getKey(), new JsonObject()).mergeIn((JsonObject) section.getValue())));
    node = new NodeVerticle(config, nodeId, () -> members);
    deploymentId = await(vertx.deployVerticle(node));
  }

  /** The Vert.x the node runs on, e.g. to listen on its event bus or start a fake server. */
  public Vertx vertx() {
    return vertx;
  }

  /** A contract request; fails with the ApiException the node answered. */
  public Future<JsonObject> request(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS))
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(ApiException.fromReply(err)));
  }

  /** A contract request's answer; throws the ApiException the node answered. */
  public JsonObject call(String address, Object body) {
    return await(request(address, body));
  }

  /** The ApiException a request fails with. */
  public ApiException failure(String address, Object body) {
    try {
      call(address, body);
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("expected " + address + " to fail");
  }

  /** {@code GET path} on the node's HTTP port, whatever its status. */
  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  /** The body of {@code GET path}, checked to be 200. */
  public String body(String path) {
    HttpResponse<String> response = get(path);
    if (response.statusCode() != 200) {
      throw new AssertionError(path + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  /** {@code GET /status} as JSON, checked to be 200. */
  public JsonObject status() {
    return new JsonObject(body("/status"));
  }

  /** Undeploys the node (Vert.x stays up). */
  public void undeploy() {
    await(vertx.undeploy(deploymentId));
  }

  /** Waits until every future has ended, succeeded or failed. */
  public static void awaitAll(List<? extends Future<?>> futures) {
    await(Future.join(futures).transform(done -> Future.succeededFuture()));
  }

  @Override
  public void close() {
    await(vertx.close());
  }

  /** The request's own timeout ends with the response headers; this bounds the body too. */
  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http().sendAsync(request.timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Made on first use: most tests never speak HTTP, and each client keeps a selector thread. */
  private HttpClient http() {
    if (http == null) {
      http = HttpClient.newHttpClient();
    }
    return http;
  }

  /** {@code path} on the node's HTTP port. */
  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.httpPort() + path);
  }
}
