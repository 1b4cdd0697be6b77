package chatworker.redis;

import chatworker.time.Deadline;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the layer closes: refuse new calls at once, let the commands in flight drain for up to the
 * command timeout, then close every socket (what is still in flight fails, and reaches its caller as
 * {@link RedisFailure.Kind#CLOSED}), the client and the breaker.
 */
final class Shutdown {

  /** The layer's events keep the logger name operators know. */
  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);
  /** How often the drain looks at what is still in flight. */
  private static final long DRAIN_POLL_MS = 5;

  private final Vertx vertx;
  private final Context context;
  private final RedisSettings settings;
  private final Redis client;
  private final SlotChooser chooser;
  private final HealthChecks health;
  private final BreakerGate gate;
  private volatile boolean closing;

  Shutdown(Vertx vertx, Context context, RedisSettings settings, Redis client, SlotChooser chooser,
      HealthChecks health, BreakerGate gate) {
    this.vertx = vertx;
    this.context = context;
    this.settings = settings;
    this.client = client;
    this.chooser = chooser;
    this.health = health;
    this.gate = gate;
  }

  /** True from the moment {@link #close()} is called: calls are refused, and failed ones not retried. */
  boolean closing() {
    return closing;
  }

  Future<Void> close() {
    closing = true;
    health.stop();
    Promise<Void> drained = Promise.promise();
    context.runOnContext(v -> awaitDrained(Deadline.inMillis(settings.commandTimeoutMs()), drained));
    return drained.future()
        .andThen(v -> chooser.slots().forEach(ConnectionSlot::close))
        .compose(v -> client.close())
        .andThen(v -> gate.close())
        .andThen(v -> log.info("Redis layer closed"));
  }

  private void awaitDrained(Deadline deadline, Promise<Void> drained) {
    if (chooser.inFlight() == 0 || deadline.expired()) {
      drained.complete();
    } else {
      vertx.setTimer(DRAIN_POLL_MS, t -> awaitDrained(deadline, drained));
    }
  }
}
