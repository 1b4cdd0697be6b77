package chatworker.store;

import chatworker.redis.RedisFailure;
import io.vertx.core.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Keeps the stores' promises at their edge: a method that returns a future never throws, it fails the
 * future; and a Redis problem fails it with a {@link StoreFailure}, never with the layer's
 * {@code RedisFailure}. Every public store method ends in {@link #map} or {@link #compose}, which
 * translate in the step the method takes anyway, so the translation costs no extra future per call.
 * Inside the store, code sees the layer's failures as they are ({@link LuaScript} reads NOSCRIPT there).
 */
final class Guard {

  private Guard() {}

  /** Runs {@code body}; an argument it rejects (an id with braces, a limit out of range) fails the future. */
  static <T> Future<T> call(Supplier<Future<T>> body) {
    try {
      return body.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** {@code future} mapped by {@code mapper}; its failure translated. */
  static <T, R> Future<R> map(Future<T> future, Function<T, R> mapper) {
    return future.compose(result -> Future.succeededFuture(mapper.apply(result)),
        failure -> Future.failedFuture(translate(failure)));
  }

  /**
   * {@code future} composed with {@code next}; its failure translated. The future {@code next} returns
   * is passed on as it is: build it with {@link #map} or {@link #compose} too.
   */
  static <T, R> Future<R> compose(Future<T> future, Function<T, Future<R>> next) {
    return future.compose(next, failure -> Future.failedFuture(translate(failure)));
  }

  /**
   * The store's failure for a failure of the Redis layer; anything else (a refused argument, a bug) as
   * it is. The one place where the layer's kinds meet the store's.
   */
  static Throwable translate(Throwable failure) {
    if (!(failure instanceof RedisFailure redis)) {
      return failure;
    }
    return switch (redis.kind()) {
      case TIMEOUT -> new StoreFailure(StoreFailure.Kind.TIMEOUT,
          "Redis did not answer in time: " + redis.getMessage(), redis);
      case COMMAND_ERROR -> new StoreFailure(StoreFailure.Kind.REFUSED,
          "Redis refused the command: " + redis.getMessage(), redis);
      case BREAKER_OPEN, QUEUE_FULL, NOT_CONNECTED, CONNECTION_LOST, CLOSED, NOT_REPLICATED -> new StoreFailure(
          StoreFailure.Kind.UNAVAILABLE, "Redis is unavailable: " + redis.getMessage(), redis);
    };
  }
}
