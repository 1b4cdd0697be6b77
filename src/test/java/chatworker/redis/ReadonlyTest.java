package chatworker.redis;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A master demoted under the layer's connections: what a failover looks like to a connection that stays. */
class ReadonlyTest {

  @RegisterExtension
  RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that when the server turns into a replica (REPLICAOF another) under open connections, a
   * write is never reported as done nor as a command error: its READONLY reply takes the connection
   * out of service and the write is retried (even a non-idempotent one, since it did not run) until it
   * fails as NOT_CONNECTED or by its deadline; reads go on; and writes succeed once it is master again.
   */
  @Test
  @DisplayName("READONLY from a demoted master: connection replaced, write retried, never a command error")
  void readonlyReplacesTheConnectionAndRetries() {
    RedisServer other = redisServer.startExtra(RedisServer.Options.defaults());
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      await(layer.redis.send(Request.cmd(Command.SET).arg("k").arg("before"), false, Deadline.inMillis(1_000)));
      long reconnectsBefore = layer.redis.health().reconnects();
      redisServer.server().command("REPLICAOF", RedisServer.HOST, Integer.toString(other.port()));

      RedisFailure failure = LayerHarness.failureOf(layer.redis.send(Request.cmd(Command.INCR).arg("n"), false,
          Deadline.inMillis(1_000)));
      assertThat(failure.kind()).isIn(Kind.NOT_CONNECTED, Kind.TIMEOUT, Kind.BREAKER_OPEN);
      assertThat(failure.getMessage()).contains("READONLY");
      Await.until(() -> layer.redis.health().reconnects() > reconnectsBefore, Duration.ofSeconds(10),
          "the connections that met READONLY to be replaced");
      assertThat(other.command("GET", "n")).as("the write never ran anywhere").isNull();

      redisServer.server().command("REPLICAOF", "NO", "ONE");
      Await.until(() -> layer.redis.send(Request.cmd(Command.INCR).arg("n"), false, Deadline.inMillis(1_000))
          .toCompletionStage().toCompletableFuture().handle((ok, err) -> err == null).join(),
          Duration.ofSeconds(10), "writes to succeed once the server is master again");
    }
  }
}
