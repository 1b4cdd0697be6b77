package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.EnumSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisRestartTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that while Redis is stopped for about three seconds under 64 concurrent callers, every
   * call ends by its deadline with STORE_UNAVAILABLE- or TIMEOUT-kind failures (none hangs), and that
   * calls succeed again by themselves once Redis is back.
   */
  @Test
  @DisplayName("Redis stopped and restarted under load: no call hangs, service resumes by itself")
  void restartedRedisIsReconnectedWithoutHangingCallers() throws Exception {
    long deadlineMs = 1_000;
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      CallerLoad load = CallerLoad.start(layer.vertx, 64, i -> layer.redis.send(
          Request.cmd(Command.GET).arg("key-" + i), true, Deadline.inMillis(deadlineMs)));
      Await.until(() -> load.successes() > 1_000, Duration.ofSeconds(10), "load under way");

      redisServer.server().stop();
      long stoppedAt = System.nanoTime();
      Await.until(() -> load.failures() > 64 && System.nanoTime() - stoppedAt > 3_000_000_000L,
          Duration.ofSeconds(15), "three seconds of outage with failing calls");
      long failuresDuringOutage = load.failures();

      redisServer.server().restart();
      long restartedAt = load.mark();
      Await.until(() -> load.firstSuccessAfterMark() > 0, Duration.ofSeconds(15),
          "a successful call after the restart");
      long recoveryMs = (load.firstSuccessAfterMark() - restartedAt) / 1_000_000;
      System.out.printf("{\"test\":\"redis-restart\",\"recoveryMs\":%d,\"failuresDuringOutage\":%d,"
          + "\"failuresByKind\":\"%s\"}%n", recoveryMs, failuresDuringOutage, load.failuresByKind());
      long successesAfterRecovery = load.successes();
      Await.until(() -> load.successes() > successesAfterRecovery + 1_000, Duration.ofSeconds(15),
          "steady successes after the restart");
      Await.await(load.stop());

      assertThat(load.callsEnded()).isEqualTo(load.callsStarted()); // every call ended: none hangs
      assertThat(load.failuresByKind()).allSatisfy((kind, count) -> {
        if (!EnumSet.of(Kind.NOT_CONNECTED, Kind.CONNECTION_LOST, Kind.TIMEOUT, Kind.BREAKER_OPEN).contains(kind)) {
          assertThat(count).as(kind + " failures").isZero();
        }
      });
      // "By its deadline": a generous margin for a loaded 2-core machine, far below a hang.
      assertThat(load.slowestMillis()).isLessThan(deadlineMs + 2_000);
      Await.until(() -> layer.redis.health().ready(), Duration.ofSeconds(10), "layer ready again");
    }
  }
}
