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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CrossTalkTest {

  private static final int KEYS = 20_000;
  private static final int CONCURRENCY = 128;
  private static final java.util.Map<String, Integer> otherKinds = new java.util.concurrent.ConcurrentHashMap<>();

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that no reply ever reaches a caller other than the one that asked (the redis-py
   * CVE-2023-28858/28859 failure): 20,000 GETs of distinct keys through a latency proxy, 128 at a
   * time, with random deadlines that abandon many calls mid-flight and connections killed meanwhile.
   */
  @Test
  @DisplayName("20,000 GETs with random deadlines and killed connections: every value is the key's own")
  void everyReplyReachesOnlyTheCallerThatAsked() {
    List<String> mset = new ArrayList<>(List.of("MSET"));
    for (int i = 0; i < KEYS; i++) {
      mset.add("key:" + i);
      mset.add("value:" + i);
    }
    redisServer.server().command(mset.toArray(String[]::new));
    FaultProxy proxy = redisServer.closeAfterwards(FaultProxy.startFor(redisServer.server()));
    proxy.latency(Duration.ofMillis(2));

    LongAdder matched = new LongAdder();
    LongAdder mismatched = new LongAdder();
    LongAdder abandoned = new LongAdder();
    LongAdder otherFailures = new LongAdder();
    // The breaker would stop the chaos early (tiny deadlines make every kill an outage): keep it closed.
    RedisSettings settings = RedisSettings.fromJson(LayerHarness.fastJson(proxy.url())
        .put("breaker", new JsonObject().put("maxFailures", 1_000_000)));
    try (LayerHarness layer = new LayerHarness(settings)) {
      AtomicInteger next = new AtomicInteger();
      Promise<Void> done = Promise.promise();
      AtomicInteger finishedLoops = new AtomicInteger();
      layer.vertx.getOrCreateContext().runOnContext(v -> {
        for (int c = 0; c < CONCURRENCY; c++) {
          loop(layer, next, matched, mismatched, abandoned, otherFailures, finishedLoops, done);
        }
      });
      // Kill every connection each time another 3,000 GETs have been asked, while calls are in flight.
      for (int round = 1; round <= 5; round++) {
        int mark = round * 3_000;
        Await.until(() -> next.get() >= mark, Duration.ofSeconds(60), mark + " GETs asked");
        redisServer.server().clientKillNormal();
      }
      Await.await(done.future(), Duration.ofSeconds(120));
    }
    System.out.printf("{\"test\":\"cross-talk\",\"gets\":%d,\"matched\":%d,\"mismatched\":%d,"
        + "\"abandonedByDeadline\":%d,\"otherFailures\":%d,\"otherKinds\":\"%s\"}%n", KEYS, matched.sum(),
        mismatched.sum(), abandoned.sum(), otherFailures.sum(), otherKinds);
    assertThat(mismatched.sum()).as("replies that belong to another key").isZero();
    assertThat(matched.sum() + abandoned.sum() + otherFailures.sum()).isEqualTo(KEYS);
    assertThat(matched.sum()).as("successful GETs").isGreaterThan(KEYS / 20);
    assertThat(abandoned.sum()).as("calls abandoned mid-flight by their deadline").isGreaterThan(KEYS / 20);
  }

  private static void loop(LayerHarness layer, AtomicInteger next, LongAdder matched, LongAdder mismatched,
      LongAdder abandoned, LongAdder otherFailures, AtomicInteger finishedLoops, Promise<Void> done) {
    int key = next.getAndIncrement();
    if (key >= KEYS) {
      if (finishedLoops.incrementAndGet() == CONCURRENCY) {
        done.complete();
      }
      return;
    }
    long deadline = ThreadLocalRandom.current().nextLong(1, 12);
    Future<Response> get = layer.redis.send(Request.cmd(Command.GET).arg("key:" + key), true,
        Deadline.inMillis(deadline));
    get.onComplete(ar -> {
      if (ar.succeeded()) {
        if (("value:" + key).equals(String.valueOf(ar.result()))) {
          matched.increment();
        } else {
          mismatched.increment();
        }
      } else if (ar.cause() instanceof RedisFailure f && f.kind() == Kind.TIMEOUT) {
        abandoned.increment();
      } else {
        otherFailures.increment();
        otherKinds.merge(ResilientRedis.classify(ar.cause()).kind().name(), 1, Integer::sum);
      }
      layer.vertx.runOnContext(v -> loop(layer, next, matched, mismatched, abandoned, otherFailures,
          finishedLoops, done));
    });
  }
}
