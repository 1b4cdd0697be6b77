package chatworker.redis;

/**
 * The memory of a slot's watchdog: when each of its last ticks was taken and how many commands had
 * been sent on the slot by then. Replies come in order, so when fewer commands have been answered than
 * had been sent at a tick a command timeout ago, the oldest unanswered command has waited longer than
 * the timeout. Used on the slot's context only.
 */
final class WatchdogTicks {

  /**
   * Ticks remembered: the watchdog ticks every tenth of the command timeout (at least every 5 ms), so
   * a timeout ago is at most 10 ticks back for any timeout of 50 ms or more (and fewer below).
   */
  static final int SIZE = 16;

  private final long[] atNanos = new long[SIZE];
  private final long[] sentThen = new long[SIZE];
  /** Ticks taken so far. A long: an int overflowed after 2^31 ticks (124 days at 5 ms per tick). */
  private long taken;

  WatchdogTicks() {
    this(0);
  }

  /** A ring that has taken {@code taken} ticks already: lets a test start it anywhere. */
  WatchdogTicks(long taken) {
    this.taken = taken;
  }

  /** Remembers a tick: taken at {@code nowNanos}, when {@code sent} commands had been sent. */
  void record(long nowNanos, long sent) {
    int slot = (int) (taken++ % SIZE);
    atNanos[slot] = nowNanos;
    sentThen[slot] = sent;
  }

  /**
   * How many commands had been sent at the newest remembered tick that is at least {@code timeoutNanos}
   * old at {@code nowNanos} and was taken at or after {@code sinceNanos}; -1 when there is none.
   */
  long sentAtNewestTickOlderThan(long nowNanos, long timeoutNanos, long sinceNanos) {
    int newestOld = -1;
    for (int i = 0; i < Math.min(taken, SIZE); i++) {
      long at = atNanos[i];
      if (nowNanos - at >= timeoutNanos && at - sinceNanos >= 0
          && (newestOld < 0 || at - atNanos[newestOld] > 0)) {
        newestOld = i;
      }
    }
    return newestOld < 0 ? -1 : sentThen[newestOld];
  }
}
