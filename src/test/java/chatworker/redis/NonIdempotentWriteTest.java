package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NonIdempotentWriteTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that an INCR whose connection dies after it was sent is not retried: with connections
   * killed repeatedly under 64 concurrent INCRs, the server's count lies between the reported
   * successes and successes plus failures (a silent repeat would push it above).
   */
  @Test
  @DisplayName("INCR on a dying connection is never silently repeated")
  void nonIdempotentWritesAreNeverRetriedAfterBeingSent() {
    redisServer.server().command("DEL", "counter");
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      CallerLoad load = CallerLoad.start(layer.vertx, 64, i -> layer.redis.send(
          Request.cmd(Command.INCR).arg("counter"), false, Deadline.inMillis(2_000)));
      for (int round = 1; round <= 10; round++) {
        long mark = round * 500L;
        Await.until(() -> load.successes() >= mark, Duration.ofSeconds(20), mark + " INCRs acknowledged");
        redisServer.server().clientKillNormal();
      }
      Await.await(load.stop());

      long successes = load.successes();
      long failures = load.failures();
      long counter = Long.parseLong(redisServer.server().command("GET", "counter"));
      System.out.printf("{\"test\":\"non-idempotent\",\"successes\":%d,\"failures\":%d,\"counter\":%d}%n",
          successes, failures, counter);
      assertThat(load.failures(Kind.CONNECTION_LOST)).as("INCRs whose connection died in flight").isPositive();
      assertThat(load.failures(Kind.COMMAND_ERROR) + load.failures(Kind.QUEUE_FULL)).isZero();
      assertThat(counter).isBetween(successes, successes + failures);
    }
  }
}
