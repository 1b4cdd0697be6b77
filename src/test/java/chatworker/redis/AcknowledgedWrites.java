package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Durable writes under load for failover tests: concurrent callers each {@code SET} a fresh key
 * through {@link ResilientRedis#sendDurable}, and the keys whose write was acknowledged are kept, so
 * that a test can check after a fault that no acknowledged write is missing.
 */
final class AcknowledgedWrites {

  static final String VALUE = "v";
  static final int TAGS = 64;

  final CallerLoad load;
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger next = new AtomicInteger();

  private AcknowledgedWrites(LayerHarness layer, int callers, List<Integer> tags) {
    this.load = CallerLoad.start(layer.vertx, callers, i -> {
      int n = next.incrementAndGet();
      // Few hash tags (64 at most): few enough slots that each is written to all the time, when it moves too.
      String key = "ack:{" + tags.get(n % tags.size()) + "}:" + n;
      return layer.redis.sendDurable(Request.cmd(Command.SET).arg(key).arg(VALUE), true, Deadline.inMillis(2_000))
          .onSuccess(ok -> acknowledged.add(key));
    });
  }

  static AcknowledgedWrites start(LayerHarness layer, int callers) {
    return start(layer, callers, tag -> true);
  }

  /** Writes only keys whose hash tag (0..{@value #TAGS}-1) passes {@code tags}. */
  static AcknowledgedWrites start(LayerHarness layer, int callers, IntPredicate tags) {
    return new AcknowledgedWrites(layer, callers, IntStream.range(0, TAGS).filter(tags).boxed().toList());
  }

  /** Checks a write and a read, and a durable write that every one of {@code replicas} then holds. */
  static void writeReadAndReplicate(LayerHarness layer, List<RedisServer> replicas) {
    Deadline deadline = Deadline.inMillis(5_000);
    Await.await(layer.redis.send(Request.cmd(Command.SET).arg("plain").arg("written"), false, deadline));
    assertThat(String.valueOf(Await.await(layer.redis.send(Request.cmd(Command.GET).arg("plain"), true, deadline))))
        .isEqualTo("written");
    Await.await(layer.redis.sendDurable(Request.cmd(Command.SET).arg("durable").arg("written"), true, deadline));
    for (RedisServer replica : replicas) {
      assertThat(replica.command("GET", "durable")).as("durable write on port " + replica.port()).isEqualTo("written");
    }
  }

  /**
   * Durable writes from 16 callers across {@code failover}: 300 acknowledged before it, 300 more after
   * it (on the new master). Prints one JSON line named {@code test}, checks that no write failed as a
   * command error and that the new master holds every acknowledged write, and returns the new master.
   */
  static RedisServer acrossFailover(LayerHarness layer, String test, Duration within, Supplier<RedisServer> failover) {
    AcknowledgedWrites writes = start(layer, 16);
    Await.until(() -> writes.load.successes() >= 300, within, "300 durable writes before the failover");
    RedisServer promoted = failover.get();
    long before = writes.load.successes();
    Await.until(() -> writes.load.successes() >= before + 300, within, "300 durable writes on the new master");
    Await.await(writes.load.stop());
    System.out.printf("{\"test\":\"%s\",\"acknowledged\":%d,\"failures\":\"%s\"}%n",
        test, writes.acknowledged(), writes.load.failuresByKind());
    assertThat(writes.load.failures(Kind.COMMAND_ERROR)).as("command errors").isZero();
    assertThat(writes.missing(key -> promoted)).as("acknowledged writes missing on the new master").isZero();
    return promoted;
  }

  /** A key the load writes to, with hash tag {@code tag} (0..{@value #TAGS}-1). */
  static String keyWithTag(int tag) {
    return "ack:{" + tag + "}:0";
  }

  int acknowledged() {
    return acknowledged.size();
  }

  /** How many acknowledged keys {@code serverOf(key)} does not hold. */
  long missing(Function<String, RedisServer> serverOf) {
    return acknowledged.stream().filter(key -> !VALUE.equals(serverOf.apply(key).command("GET", key))).count();
  }
}
