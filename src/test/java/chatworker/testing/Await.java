package chatworker.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a condition with a deadline, so tests never sleep and hope.
 *
 * <p>Polls every few milliseconds on the calling thread; use it from the JUnit thread or your own
 * threads, never from a Vert.x event loop.
 */
public final class Await {

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private Await() {
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
