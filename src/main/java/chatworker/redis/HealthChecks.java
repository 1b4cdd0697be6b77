package chatworker.redis;

import chatworker.time.Deadline;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health of the connections: a PING on each every {@code healthCheckIntervalMs} and on each new
 * connection, outside the breaker so that a PING is never refused (a hung one closes its connection
 * and counts as a breaker failure; a healthy one closes a half-open breaker: the probe); the last
 * PING's latency, reconnects, and whether Redis refuses the credentials. Hears the slots' events.
 */
final class HealthChecks implements ConnectionSlot.Listener {

  /** The layer's events keep the logger name operators know. */
  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);

  private final Vertx vertx;
  private final Context context;
  private final RedisSettings settings;
  private final BreakerGate gate;
  private final CommandAttempt attempt;
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong lastPingMicros = new AtomicLong(-1);
  /** The slots connect on event loops of their own: the first to be refused logs it, once. */
  private final AtomicBoolean authRejected = new AtomicBoolean();
  private volatile boolean stopped;
  private long timer = -1;

  HealthChecks(Vertx vertx, Context context, RedisSettings settings, BreakerGate gate, CommandAttempt attempt) {
    this.vertx = vertx;
    this.context = context;
    this.settings = settings;
    this.gate = gate;
    this.attempt = attempt;
  }

  /** Starts PINGing {@code slots} every {@code healthCheckIntervalMs}. */
  void start(List<ConnectionSlot> slots) {
    context.runOnContext(v -> timer = vertx.setPeriodic(settings.healthCheckIntervalMs(),
        t -> slots.forEach(this::ping)));
  }

  /** Sends no more PINGs. */
  void stop() {
    stopped = true;
    context.runOnContext(v -> {
      if (timer != -1) {
        vertx.cancelTimer(timer);
      }
    });
  }

  @Override
  public void connected(ConnectionSlot slot, boolean afterLoss) {
    authRejected.set(false);
    if (afterLoss) {
      reconnects.incrementAndGet();
    }
    ping(slot); // a half-open breaker closes on the first healthy PING
  }

  @Override
  public void authRejected(ConnectionSlot slot, String reason) {
    if (!authRejected.compareAndSet(false, true)) {
      return;
    }
    if (settings.mode() == RedisMode.SENTINEL && RedisErrors.noEndpointAnswered(reason)) {
      log.error("Redis sentinels refused the configured credentials ({}); the client logs into the sentinels "
          + "with the URL's credentials too, so they must accept them; retrying every {} ms", reason,
          settings.authRetryDelayMs());
    } else {
      log.error("Redis refused the configured credentials ({}); retrying every {} ms", reason,
          settings.authRetryDelayMs());
    }
  }

  /**
   * PINGs one connection, outside the breaker so that it is never refused: a hung PING closes its
   * connection and counts as a failure; a healthy one closes a half-open breaker (the probe).
   */
  private void ping(ConnectionSlot slot) {
    RedisConnection conn = slot.connection();
    if (conn == null || stopped) {
      return;
    }
    slot.reserve(1, Integer.MAX_VALUE);
    long started = System.nanoTime();
    // A deadline past the command timeout: only the slot's watchdog ends a hung PING.
    attempt.run(new SlotChooser.Pick(slot, conn, null), c -> pingEveryNode(slot, c), 1,
        Deadline.inMillis(settings.commandTimeoutMs() + 1_000))
        .onSuccess(pong -> {
          lastPingMicros.set(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started));
          gate.pingAnswered();
        })
        .onFailure(err -> gate.pingFailed((RedisFailure) err));
  }

  /**
   * One PING on each socket of the connection. A cluster connection has one per node, and the client
   * would send a keyless PING to a random one, leaving the others idle until the read-idle timeout
   * closed them. There the check passes when any node answers (one dead master is the cluster's
   * business: its replica takes over); a socket found closed is forgotten, and sockets the cluster
   * connection opened since the last check are watched like the first ones.
   */
  private static Future<Response> pingEveryNode(ConnectionSlot slot, RedisConnection conn) {
    if (!ClientSockets.isCluster(conn)) {
      return conn.send(Request.cmd(Command.PING));
    }
    List<RedisConnection> nodes = ClientSockets.nodesOf(conn);
    if (nodes.isEmpty()) {
      return conn.send(Request.cmd(Command.PING)); // every socket was forgotten: the client opens one
    }
    List<Future<Response>> pongs = new ArrayList<>();
    for (RedisConnection node : nodes) {
      slot.watchNode(conn, node);
      pongs.add(node.send(Request.cmd(Command.PING)).onFailure(err -> {
        if (String.valueOf(err.getMessage()).contains("Connection is closed")) {
          ClientSockets.forget(conn, node);
        }
      }));
    }
    return Future.any(pongs).map(any -> pongs.stream().filter(Future::succeeded).findFirst().orElseThrow().result());
  }

  /** Latency of the last successful PING in milliseconds, -1 before the first. */
  double pingMs() {
    long ping = lastPingMicros.get();
    return ping < 0 ? -1 : ping / 1000.0;
  }

  long reconnects() {
    return reconnects.get();
  }

  /** Redis refused the configured credentials on the last connect attempt. */
  boolean authRejected() {
    return authRejected.get();
  }
}
