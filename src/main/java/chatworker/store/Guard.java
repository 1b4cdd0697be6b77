package chatworker.store;

import io.vertx.core.Future;
import java.util.function.Supplier;

/** Keeps the stores' promise: a method that returns a future never throws, it fails the future. */
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
}
