package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CloseTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that closing the layer with commands in flight ends each of them (answered, or failed
   * with a code), refuses new calls, and leaves no connection open on the server.
   */
  @Test
  @DisplayName("Close with commands in flight: each ends, no socket is left open")
  void closingWithCommandsInFlightEndsEachAndLeavesNoSocket() {
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    Vertx vertx = Vertx.vertx();
    try {
      ResilientRedis redis = ResilientRedis.create(vertx, LayerHarness.fastSettings(proxy.url()));
      Await.await(redis.start());
      Await.until(() -> redisServer.server().normalClientCount() > 0, Duration.ofSeconds(5), "connected");
      proxy.latency(Duration.ofMillis(200));
      List<Future<Response>> calls = new ArrayList<>();
      Promise<Void> sent = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> {
        for (int i = 0; i < 64; i++) {
          calls.add(redis.send(Request.cmd(Command.INCR).arg("closing"), false, Deadline.inMillis(5_000)));
        }
        sent.complete();
      });
      Await.await(sent.future());
      Await.await(redis.close());

      assertThat(calls).allSatisfy(call -> assertThat(call.isComplete()).isTrue());
      assertThat(calls).filteredOn(Future::failed).allSatisfy(call ->
          assertThat(((RedisFailure) call.cause()).kind()).isIn(Kind.CONNECTION_LOST, Kind.TIMEOUT));
      assertThat(LayerHarness.failureOf(redis.send(Request.cmd(Command.PING), true)).kind()).isEqualTo(Kind.CLOSED);
      Await.until(() -> redisServer.server().normalClientCount() == 0, Duration.ofSeconds(10),
          "no connection of the layer left on the server");
      Await.until(() -> proxy.openConnections() == 0, Duration.ofSeconds(10), "no socket left open");
    } finally {
      Await.await(vertx.close());
    }
  }
}
