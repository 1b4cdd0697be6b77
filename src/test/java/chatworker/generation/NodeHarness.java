package chatworker.generation;

import chatworker.api.ApiException;
import chatworker.cli.NodeVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One whole node (NodeVerticle: API, generation, status) on its own non-clustered Vert.x against a
 * test Redis, and a client that speaks the contract over its event bus.
 */
final class NodeHarness implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final NodeVerticle node;

  NodeHarness(String redisUrl) {
    this(redisUrl, new JsonObject());
  }

  /** {@code overrides} is merged into the config section by section (e.g. {"generation": {...}}). */
  NodeHarness(String redisUrl, JsonObject overrides) {
    JsonObject config = new JsonObject()
        .put("redis", new JsonObject().put("url", redisUrl).put("commandTimeoutMs", 500)
            .put("defaultDeadlineMs", 2_000).put("connectTimeoutMs", 500).put("healthCheckIntervalMs", 200)
            .put("readIdleTimeoutMs", 2_000)
            .put("reconnect", new JsonObject().put("initialDelayMs", 20).put("maxDelayMs", 200))
            .put("breaker", new JsonObject().put("resetTimeoutMs", 300)))
        .put("http", new JsonObject().put("port", 0))
        .put("generation", new JsonObject().put("instances", 2).put("lockLeaseMs", 3_000))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
    overrides.forEach(section -> config.put(section.getKey(),
        config.getJsonObject(section.getKey(), new JsonObject()).mergeIn((JsonObject) section.getValue())));
    node = new NodeVerticle(config, "test-node", () -> List.of("test-node"));
    await(vertx.deployVerticle(node, new DeploymentOptions()));
  }

  /** A contract request; fails with the ApiException the node answered. */
  Future<JsonObject> request(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(60_000))
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

  /** Waits until every future has ended, succeeded or failed. */
  static void awaitAll(List<? extends Future<?>> futures) {
    await(Future.join(futures).transform(done -> Future.succeededFuture()));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(Duration.ofSeconds(90).toMillis(), TimeUnit.MILLISECONDS);
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
