package chatworker.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition or a future with a deadline, so tests never sleep and hope.
 *
 * <p>Polls every few milliseconds on the calling thread; use it from the JUnit thread or your own
 * threads, never from a Vert.x event loop.
 */
public final class Await {

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** How long {@link #await(Future)} waits: long enough for any answer a test expects to come. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private Await() {
  }

  /** The result of {@code future}, waiting at most {@link #DEFAULT_TIMEOUT}. */
  public static <T> T await(Future<T> future) {
    return await(future, DEFAULT_TIMEOUT);
  }

  /**
   * The result of {@code future}. Its failure is rethrown as it is (an unchecked exception or an
   * assertion error raised in a callback), anything else wrapped; no result within {@code timeout}
   * is an {@link AssertionError}.
   */
  public static <T> T await(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for a result", e);
    }
  }

  /**
   * The failure {@code future} ends with, which must be a {@code type} (waiting as {@link #await(Future)});
   * an assertion error when it succeeds or fails otherwise.
   */
  public static <E extends Throwable> E failure(Future<?> future, Class<E> type) {
    Object result;
    try {
      result = await(future);
    } catch (RuntimeException | AssertionError e) {
      if (future.failed() && type.isInstance(future.cause())) {
        return type.cast(future.cause());
      }
      throw e;
    }
    throw new AssertionError("expected a " + type.getSimpleName() + ", but the call succeeded with " + result);
  }

  /**
   * Returns once {@code condition} is true; fails with an {@link AssertionError} naming {@code what}
   * when it is still false after {@code timeout}. Exceptions thrown by the condition propagate.
   */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    untilPresent(() -> condition.getAsBoolean() ? Boolean.TRUE : null, timeout, what);
  }

  /**
   * Returns the first non-null value {@code supplier} gives; fails with an {@link AssertionError}
   * naming {@code what} when it has given only nulls for {@code timeout}.
   */
  public static <T> T untilPresent(Supplier<T> supplier, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      T value = supplier.get();
      if (value != null) {
        return value;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + timeout.toMillis() + " ms waiting for: " + what);
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new AssertionError("Interrupted while waiting for: " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }
}
