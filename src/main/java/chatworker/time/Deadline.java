package chatworker.time;

import java.util.concurrent.TimeUnit;

/** A point in time by which a call must end, on the monotonic clock. */
public record Deadline(long atNanos) {

  /** The deadline {@code millis} from now. */
  public static Deadline inMillis(long millis) {
    return new Deadline(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis));
  }

  /** Milliseconds left, never negative. */
  public long remainingMillis() {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(atNanos - System.nanoTime()));
  }

  public boolean expired() {
    return System.nanoTime() - atNanos >= 0;
  }
}
