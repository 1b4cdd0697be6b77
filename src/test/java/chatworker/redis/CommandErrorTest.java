package chatworker.redis;

import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.RedisExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CommandErrorTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that Redis error replies (WRONGTYPE, unknown command, wrong arity) fail the call as
   * COMMAND_ERROR with Redis's message, are not retried, and never open the breaker however many.
   */
  @Test
  @DisplayName("WRONGTYPE and friends fail the call but never open the breaker")
  void commandErrorsFailTheCallButNeverOpenTheBreaker() {
    redisServer.server().command("RPUSH", "a-list", "x");
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      for (int i = 0; i < 50; i++) {
        RedisFailure wrongType = LayerHarness.failureOf(
            layer.redis.send(Request.cmd(Command.GET).arg("a-list"), true));
        assertThat(wrongType.kind()).isEqualTo(Kind.COMMAND_ERROR);
        assertThat(wrongType.outage()).isFalse();
        assertThat(wrongType.getMessage()).startsWith("WRONGTYPE");
        RedisFailure arity = LayerHarness.failureOf(layer.redis.send(Request.cmd(Command.INCRBY).arg("n"), false));
        assertThat(arity.kind()).isEqualTo(Kind.COMMAND_ERROR);
      }
      assertThat(layer.redis.health().breaker()).isEqualTo("CLOSED");
      assertThat(layer.redis.health().failures().get("COMMAND_ERROR")).isEqualTo(100L);
      assertThat(String.valueOf(Await.await(layer.redis.send(Request.cmd(Command.PING), true))))
          .isEqualTo("PONG");
    }
  }
}
