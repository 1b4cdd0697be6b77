package chatworker.redis;

import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
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

  /**
   * Verifies that an error reply closes a half-open breaker: it is Redis answering. After a restart
   * the scripts are gone, so the first call through a half-open breaker is often an EVALSHA that gets
   * NOSCRIPT; re-opening on it kept the breaker open (and the EVAL fallback refused) until a health
   * PING happened to land in the half-open moment. Health PINGs are rare here, so only calls probe.
   */
  @Test
  @DisplayName("A NOSCRIPT through a half-open breaker closes it")
  void errorReplyClosesAHalfOpenBreaker() {
    JsonObject settings = LayerHarness.fastJson(redisServer.server().url())
        .put("healthCheckIntervalMs", 60_000).put("readIdleTimeoutMs", 120_000);
    try (LayerHarness layer = new LayerHarness(RedisSettings.fromJson(settings))) {
      Request evalsha = Request.cmd(Command.EVALSHA).arg("0123456789abcdef0123456789abcdef01234567").arg(0);
      redisServer.server().stop();
      Await.until(() -> {
        Await.failure(layer.redis.send(Request.cmd(Command.GET).arg("k"), true), RedisFailure.class);
        return "OPEN".equals(layer.redis.health().breaker());
      }, Duration.ofSeconds(20), "the breaker to open with Redis stopped");
      redisServer.server().restart();
      // Calls until one is answered by Redis: a NOSCRIPT, through the half-open breaker.
      Await.until(() -> Await.failure(layer.redis.send(evalsha, true), RedisFailure.class).kind() == Kind.COMMAND_ERROR,
          Duration.ofSeconds(20), "an EVALSHA answered NOSCRIPT");
      assertThat(layer.redis.health().breaker()).as("the breaker after Redis answered").isEqualTo("CLOSED");
    }
  }
}
