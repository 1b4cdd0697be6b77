package chatworker.redis;

import chatworker.time.Deadline;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PoolExhaustionTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that callers beyond the in-flight bound fail at once with QUEUE_FULL and a clear
   * message, that Redis never sees more connections than the bound allows, and that the layer is
   * healthy after the burst.
   */
  @Test
  @DisplayName("A burst beyond the bound: the excess fails fast, connections stay bounded, then healthy")
  void callersBeyondTheBoundFailFastAndConnectionsStayBounded() {
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    RedisSettings settings = RedisSettings.fromJson(new JsonObject()
        .put("url", proxy.url()).put("connections", 2).put("maxInFlightPerConnection", 8)
        .put("commandTimeoutMs", 2_000));
    // Ordinary calls leave an eighth of each connection's places to clean-up writes.
    int bound = settings.connections() * (settings.maxInFlightPerConnection() - settings.maxInFlightPerConnection() / 8);
    int connectionLimit = 2 * settings.connections(); // the client pool's size: see docs/REDIS.md
    try (LayerHarness layer = new LayerHarness(settings)) {
      proxy.latency(Duration.ofMillis(300));
      int callers = 100;
      List<Future<Response>> calls = new ArrayList<>();
      Promise<Void> sent = Promise.promise();
      layer.vertx.getOrCreateContext().runOnContext(v -> {
        for (int i = 0; i < callers; i++) {
          calls.add(layer.redis.send(Request.cmd(Command.GET).arg("k" + i), true, Deadline.inMillis(5_000)));
        }
        sent.complete();
      });
      Await.await(sent.future());
      AtomicInteger peakConnections = new AtomicInteger();
      Await.until(() -> {
        peakConnections.accumulateAndGet(redisServer.server().normalClientCount(), Math::max);
        return calls.stream().allMatch(Future::isComplete);
      }, Duration.ofSeconds(20), "every call of the burst ends");

      List<RedisFailure> failures = calls.stream().filter(Future::failed)
          .map(f -> (RedisFailure) f.cause()).toList();
      // A health-check PING in flight may hold one place per connection.
      assertThat(calls.stream().filter(Future::succeeded).count())
          .isBetween((long) bound - settings.connections(), (long) bound);
      assertThat(failures).hasSizeGreaterThanOrEqualTo(callers - bound).allSatisfy(f -> {
        assertThat(f.kind()).isEqualTo(Kind.QUEUE_FULL);
        assertThat(f.getMessage()).contains("queue is full").contains(String.valueOf(bound));
      });
      assertThat(peakConnections.get()).isBetween(1, connectionLimit);
      assertThat(redisServer.server().normalClientCount()).isLessThanOrEqualTo(connectionLimit);

      proxy.heal();
      assertThat(String.valueOf(Await.await(layer.redis.send(Request.cmd(Command.PING), true))))
          .isEqualTo("PONG");
      assertThat(layer.redis.health().inFlight()).isZero();
      assertThat(layer.redis.health().breaker()).isEqualTo("CLOSED");
    }
  }

  /**
   * Verifies that when ordinary calls fill the in-flight bound and fail with QUEUE_FULL, a clean-up
   * write (a lock's release, a failed job's end) still finds a place and is done: under a burst the
   * jobs that failed for it do not leave their chats locked until the lease runs out.
   */
  @Test
  @DisplayName("A clean-up write gets through while ordinary calls find the queue full")
  void cleanUpWritesGetThroughAFullQueue() {
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    RedisSettings settings = RedisSettings.fromJson(new JsonObject()
        .put("url", proxy.url()).put("connections", 2).put("maxInFlightPerConnection", 16)
        .put("commandTimeoutMs", 3_000));
    try (LayerHarness layer = new LayerHarness(settings)) {
      proxy.latency(Duration.ofMillis(300));
      List<Future<Response>> burst = new ArrayList<>();
      Promise<Future<Response>> cleanUp = Promise.promise();
      layer.vertx.getOrCreateContext().runOnContext(v -> {
        for (int i = 0; i < 100; i++) {
          burst.add(layer.redis.send(Request.cmd(Command.GET).arg("k" + i), true, Deadline.inMillis(5_000)));
        }
        cleanUp.complete(layer.redis.sendCleanUp(Request.cmd(Command.SET).arg("freed").arg("yes"), true,
            Deadline.inMillis(5_000)));
      });
      Future<Response> freed = Await.await(cleanUp.future());

      assertThat(String.valueOf(Await.await(freed))).isEqualTo("OK");
      assertThat(redisServer.server().command("GET", "freed")).isEqualTo("yes");
      Await.until(() -> burst.stream().allMatch(Future::isComplete), Duration.ofSeconds(20), "the burst ends");
      assertThat(burst.stream().filter(Future::failed).map(f -> ((RedisFailure) f.cause()).kind()))
          .isNotEmpty().containsOnly(Kind.QUEUE_FULL);
    }
  }
}
