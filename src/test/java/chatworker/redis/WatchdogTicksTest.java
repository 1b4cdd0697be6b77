package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class WatchdogTicksTest {

  private static final long TICK = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long TIMEOUT = 5 * TICK;

  /**
   * Verifies that the watchdog finds the newest tick at least a command timeout old, ignores ticks
   * taken before its connection came up, and finds nothing while no tick is old enough.
   */
  @Test
  @DisplayName("The newest tick a timeout old is found; ticks before the connection came up are not")
  void findsTheNewestTickATimeoutOldSinceTheConnectionCameUp() {
    WatchdogTicks ticks = new WatchdogTicks();
    assertThat(ticks.sentAtNewestTickOlderThan(0, TIMEOUT, 0)).isEqualTo(-1);
    for (int i = 0; i < 40; i++) { // more than the ring holds: it wraps
      ticks.record(i * TICK, 100 + i);
    }
    long now = 39 * TICK;
    assertThat(ticks.sentAtNewestTickOlderThan(now, TIMEOUT, 0)).as("tick 34, five ticks back").isEqualTo(134);
    assertThat(ticks.sentAtNewestTickOlderThan(now, TIMEOUT, 35 * TICK)).as("connection up since tick 35")
        .isEqualTo(-1);
    assertThat(ticks.sentAtNewestTickOlderThan(now, 100 * TICK, 0)).as("no remembered tick is that old")
        .isEqualTo(-1);
  }

  /**
   * Verifies that the watchdog keeps working after more than {@code Integer.MAX_VALUE} ticks (about
   * 124 days at one tick per 5 ms). With the tick count in an {@code int} (as before), the count
   * overflowed to a negative number: the ring then looked at none of its ticks (so a hung connection
   * went unnoticed) and, a tick later, indexed its arrays with a negative slot, which threw on every
   * tick and killed the watchdog's timer.
   */
  @Test
  @DisplayName("The watchdog's ring keeps working past Integer.MAX_VALUE ticks")
  void keepsWorkingPastIntegerMaxValueTicks() {
    WatchdogTicks ticks = new WatchdogTicks(Integer.MAX_VALUE - 20);
    long connectedAt = 7_000 * TICK; // the ticks it was started with are older: they do not count
    for (int i = 0; i < 40; i++) {
      long now = connectedAt + i * TICK;
      ticks.record(now, 1_000 + i);
      long expected = i >= 5 ? 1_000 + i - 5 : -1; // the tick five back, once there is one
      assertThat(ticks.sentAtNewestTickOlderThan(now, TIMEOUT, connectedAt)).as("after tick %d", i)
          .isEqualTo(expected);
    }
  }
}
