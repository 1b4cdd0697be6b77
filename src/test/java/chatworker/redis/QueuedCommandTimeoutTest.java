package chatworker.redis;

import chatworker.time.Deadline;
import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class QueuedCommandTimeoutTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /** Keeps Redis busy for 300 ms, then answers: each command alone is well within the timeout. */
  private static final String BUSY_300_MS = "local s = redis.call('TIME') local start = s[1] * 1000000 + s[2] "
      + "repeat local t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 300000 return 1";

  /**
   * Verifies that a command queued behind slow ones on a connection that keeps answering still fails
   * with TIMEOUT once it has waited the command timeout, even with a longer caller deadline: the
   * connection answers every 300 ms, but the GET behind eight such commands would wait 2.4 s. (Review
   * finding: a watchdog that only looked for a silent connection let it wait.) Each slow command
   * carries 40 KB, so Redis reads and answers them one at a time instead of all in one go.
   */
  @Test
  @DisplayName("A command queued behind slow but answering ones still times out")
  void queuedCommandTimesOutBehindSlowOnes() {
    RedisSettings settings = RedisSettings.fromJson(LayerHarness.fastJson(redisServer.server().url())
        .put("connections", 1).put("commandTimeoutMs", 500));
    String padding = "x".repeat(40_000);
    try (LayerHarness layer = new LayerHarness(settings)) {
      Promise<Future<Response>> sent = Promise.promise();
      layer.vertx.getOrCreateContext().runOnContext(v -> {
        List<Future<Response>> slow = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          slow.add(layer.redis.send(Request.cmd(Command.EVAL).arg(BUSY_300_MS).arg(0).arg(padding), false,
              Deadline.inMillis(10_000)));
        }
        sent.complete(layer.redis.send(Request.cmd(Command.GET).arg("k"), false, Deadline.inMillis(10_000)));
      });
      RedisFailure failure = LayerHarness.failureOf(Await.await(sent.future()));
      assertThat(failure.kind()).isEqualTo(Kind.TIMEOUT);
      assertThat(failure.getMessage()).contains("did not answer within 500 ms");
    }
  }
}
