package chatworker.redis;

import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntPredicate;
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
