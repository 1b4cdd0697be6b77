package chatworker.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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

  /** Waits on the test thread (never an event loop) for a future, at most 30 s. */
  static <T> T await(Future<T> future) {
    return await(future, Duration.ofSeconds(30));
  }

  static <T> T await(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no result within " + timeout, e);
    }
  }

  /** The failure a future ended with, or an assertion error when it succeeded. */
  static RedisFailure failureOf(Future<?> future) {
    try {
      await(future);
    } catch (RedisFailure failure) {
      return failure;
    }
    throw new AssertionError("expected the call to fail, but it succeeded");
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
