package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BlackholeTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that when the network swallows everything, calls fail with TIMEOUT, the breaker opens
   * and then fails calls fast without touching the network, the hung connections are closed, and
   * after healing a half-open probe closes the breaker and calls succeed again.
   */
  @Test
  @DisplayName("Black-holed Redis: TIMEOUT, breaker opens and fails fast, hung connections closed, heals")
  void blackholedRedisOpensTheBreakerAndHealsThroughAProbe() {
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    RedisSettings settings = LayerHarness.fastSettings(proxy.url());
    try (LayerHarness layer = new LayerHarness(settings)) {
      redisServer.server().command("SET", "k", "v");
      assertThat(Await.await(layer.redis.send(Request.cmd(Command.GET).arg("k"), true)).toString())
          .isEqualTo("v");

      proxy.blackhole();
      CallerLoad load = CallerLoad.start(layer.vertx, 16, i -> layer.redis.send(
          Request.cmd(Command.GET).arg("k"), true, Deadline.inMillis(700)));
      Await.until(() -> "OPEN".equals(layer.redis.health().breaker()), Duration.ofSeconds(15), "breaker open");
      Await.await(load.stop());
      assertThat(load.successes()).isZero();
      assertThat(load.failures(Kind.TIMEOUT)).as("calls that met the hang").isPositive();

      // Open: the call fails without waiting on the network.
      RedisFailure whileOpen = LayerHarness.failureOf(
          layer.redis.send(Request.cmd(Command.GET).arg("k"), true, Deadline.inMillis(5_000)));
      assertThat(whileOpen.kind()).isIn(Kind.BREAKER_OPEN, Kind.NOT_CONNECTED);

      // The hung connections were taken out of service: none of the layer's sockets stays up.
      Await.until(() -> layer.redis.health().connectionsUp() == 0, Duration.ofSeconds(10),
          "hung connections closed");

      proxy.heal();
      Await.until(() -> "CLOSED".equals(layer.redis.health().breaker()), Duration.ofSeconds(15),
          "breaker closed by a probe");
      Await.until(() -> {
        try {
          return "v".equals(String.valueOf(Await.await(
              layer.redis.send(Request.cmd(Command.GET).arg("k"), true))));
        } catch (RedisFailure notYet) {
          return false;
        }
      }, Duration.ofSeconds(10), "GET succeeds after healing");
    }
  }
}
