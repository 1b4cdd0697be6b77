package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConnectionKillTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that idempotent reads survive repeated {@code CLIENT KILL TYPE normal} under load: each
   * kill really drops the layer's connections, and every read still succeeds through retries.
   */
  @Test
  @DisplayName("Connections killed again and again: idempotent reads are retried and all succeed")
  void killedConnectionsAreReplacedAndReadsRetried() {
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      redisServer.server().command("SET", "shared", "value");
      CallerLoad load = CallerLoad.start(layer.vertx, 64, i -> layer.redis.send(
          Request.cmd(Command.GET).arg("shared"), true, Deadline.inMillis(2_000)));
      Await.until(() -> load.successes() > 500, Duration.ofSeconds(10), "load under way");

      int killed = 0;
      for (int round = 0; round < 10; round++) {
        long before = load.successes();
        killed += redisServer.server().clientKillNormal();
        Await.until(() -> load.successes() > before + 200, Duration.ofSeconds(10), "reads resume after a kill");
      }
      Await.await(load.stop());

      assertThat(killed).as("connections killed").isGreaterThanOrEqualTo(10);
      assertThat(layer.redis.health().reconnects()).as("reconnects").isGreaterThanOrEqualTo(10);
      assertThat(load.failures()).as("failed reads " + load.failuresByKind()).isZero();
      assertThat(load.callsEnded()).isEqualTo(load.callsStarted());
    }
  }
}
