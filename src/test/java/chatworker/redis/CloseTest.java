package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CloseTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that closing the layer with commands in flight that Redis answers within the drain bound
   * lets each of them finish (the drain), refuses new calls, and leaves no connection open on the
   * server or the proxy.
   */
  @Test
  @DisplayName("Close with answering commands in flight: each finishes, no socket is left open")
  void closingWithAnsweringCommandsInFlightLetsThemFinishAndLeavesNoSocket() {
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    // The drain bound (the command timeout) is well above the proxy's 400 ms round trip.
    RedisSettings settings = RedisSettings.fromJson(LayerHarness.fastJson(proxy.url()).put("commandTimeoutMs", 2_000));
    redisServer.server().command("DEL", "closing");
    Vertx vertx = Vertx.vertx();
    try {
      ResilientRedis redis = startedLayer(vertx, settings);
      proxy.latency(Duration.ofMillis(200));
      List<Future<Response>> calls = sendOnContext(vertx, 64,
          i -> redis.send(Request.cmd(Command.INCR).arg("closing"), false, Deadline.inMillis(30_000)));
      Await.await(redis.close());

      assertThat(calls).allSatisfy(call -> assertThat(call.succeeded()).as("answered before close ended").isTrue());
      assertThat(redisServer.server().command("GET", "closing")).isEqualTo("64");
      assertThat(LayerHarness.failureOf(redis.send(Request.cmd(Command.PING), true)).kind()).isEqualTo(Kind.CLOSED);
      Await.until(() -> redisServer.server().normalClientCount() == 0, Duration.ofSeconds(10),
          "no connection of the layer left on the server");
      Await.until(() -> proxy.openConnections() == 0, Duration.ofSeconds(10), "no socket left open");
    } finally {
      Await.await(vertx.close());
    }
  }

  /**
   * Verifies that closing the layer while Redis cannot answer (paused for far longer than the drain
   * bound) completes by about the bound, fails every stuck caller with CLOSED instead of leaving it
   * waiting for its own, longer deadline, and leaves no connection of the layer on the server.
   */
  @Test
  @DisplayName("Close with commands that cannot finish: done by the bound, callers fail CLOSED, no socket left")
  void closingWithStuckCommandsEndsByTheBoundAndFailsTheCallers() {
    RedisServer server = redisServer.server();
    RedisSettings settings = LayerHarness.fastSettings(server.url()); // the drain bound: commandTimeoutMs
    Duration pause = Duration.ofSeconds(8);
    Vertx vertx = Vertx.vertx();
    try {
      ResilientRedis redis = startedLayer(vertx, settings);
      server.clientPause(pause.toMillis()); // from its return on, Redis answers no one until the pause ends
      long pausedAt = System.nanoTime();
      List<Future<Response>> calls = sendOnContext(vertx, 64, i -> i % 2 == 0
          ? redis.send(Request.cmd(Command.GET).arg("k" + i), true, Deadline.inMillis(30_000))
          : redis.send(Request.cmd(Command.INCR).arg("stuck"), false, Deadline.inMillis(30_000)));

      long closeStarted = System.nanoTime();
      Await.await(redis.close());
      Duration closeTook = Duration.ofNanos(System.nanoTime() - closeStarted);
      Await.until(() -> calls.stream().allMatch(Future::isComplete), Duration.ofSeconds(5),
          "every stuck caller has heard back");
      Duration callersEnded = Duration.ofNanos(System.nanoTime() - pausedAt);

      // Generous against a noisy machine, yet far below the pause and the callers' own deadlines.
      assertThat(closeTook).as("close took").isLessThan(Duration.ofMillis(settings.commandTimeoutMs() + 3_000));
      assertThat(callersEnded).as("callers ended while Redis was still paused").isLessThan(pause);
      assertThat(calls).allSatisfy(call -> assertThat(LayerHarness.failureOf(call).kind()).isEqualTo(Kind.CLOSED));
      assertThat(redis.health().inFlight()).isZero();

      Await.until(() -> server.normalClientCount() == 0, pause.plusSeconds(10),
          "no connection of the layer left on the server");
    } finally {
      Await.await(vertx.close());
    }
  }

  /** Makes {@code count} calls in one turn of an event loop, as a verticle would. */
  private static List<Future<Response>> sendOnContext(Vertx vertx, int count, IntFunction<Future<Response>> call) {
    List<Future<Response>> calls = new ArrayList<>();
    Promise<Void> sent = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      for (int i = 0; i < count; i++) {
        calls.add(call.apply(i));
      }
      sent.complete();
    });
    Await.await(sent.future());
    return calls;
  }

  /** A started layer with every connection up. */
  private static ResilientRedis startedLayer(Vertx vertx, RedisSettings settings) {
    ResilientRedis redis = ResilientRedis.create(vertx, settings);
    Await.await(redis.start());
    Await.until(() -> redis.health().connectionsUp() == settings.connections(), Duration.ofSeconds(5),
        "every connection up");
    return redis;
  }
}
