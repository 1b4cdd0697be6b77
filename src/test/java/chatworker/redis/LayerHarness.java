package chatworker.redis;

import static chatworker.testing.Await.await;

import chatworker.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** Opens a {@link ResilientRedis} on its own Vert.x for one test and closes both afterwards. */
final class LayerHarness implements AutoCloseable {

  final Vertx vertx = Vertx.vertx();
  final ResilientRedis redis;

  LayerHarness(RedisSettings settings) {
    redis = ResilientRedis.create(vertx, settings);
    await(redis.start());
  }

  /** Settings for tests: short timeouts so faults show quickly. */
  static RedisSettings fastSettings(String url) {
    return RedisSettings.fromJson(fastJson(url));
  }

  /** {@link #fastSettings} as JSON, for a test to change before reading. */
  static JsonObject fastJson(String url) {
    return new JsonObject()
        .put("url", url)
        .put("connections", 4)
        .put("commandTimeoutMs", 500)
        .put("defaultDeadlineMs", 1_000)
        .put("connectTimeoutMs", 500)
        .put("healthCheckIntervalMs", 200)
        .put("readIdleTimeoutMs", 2_000)
        .put("reconnect", new JsonObject().put("initialDelayMs", 20).put("maxDelayMs", 200))
        .put("breaker", new JsonObject().put("maxFailures", 5).put("resetTimeoutMs", 300));
  }

  /** The failure a future ended with, or an assertion error when it succeeded. */
  static RedisFailure failureOf(Future<?> future) {
    return Await.failure(future, RedisFailure.class);
  }

  @Override
  public void close() {
    try {
      await(redis.close());
    } finally {
      await(vertx.close());
    }
  }
}
