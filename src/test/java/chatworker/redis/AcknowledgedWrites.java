package chatworker.redis;

import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Durable writes under load for failover tests: concurrent callers each {@code SET} a fresh key
 * through {@link ResilientRedis#sendDurable}, and the keys whose write was acknowledged are kept, so
 * that a test can check after a fault that no acknowledged write is missing.
 */
final class AcknowledgedWrites {

  static final String VALUE = "v";

  final CallerLoad load;
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  private final AtomicInteger next = new AtomicInteger();

  private AcknowledgedWrites(LayerHarness layer, int callers) {
    this.load = CallerLoad.start(layer.vertx, callers, i -> {
      String key = "ack:" + next.incrementAndGet();
      return layer.redis.sendDurable(Request.cmd(Command.SET).arg(key).arg(VALUE), true, Deadline.inMillis(2_000))
          .onSuccess(ok -> acknowledged.add(key));
    });
  }

  static AcknowledgedWrites start(LayerHarness layer, int callers) {
    return new AcknowledgedWrites(layer, callers);
  }

  int acknowledged() {
    return acknowledged.size();
  }

  /** How many acknowledged keys {@code serverOf(key)} does not hold. */
  long missing(Function<String, RedisServer> serverOf) {
    return acknowledged.stream().filter(key -> !VALUE.equals(serverOf.apply(key).command("GET", key))).count();
  }
}
