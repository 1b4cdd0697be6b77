package chatworker.redis;

import io.vertx.circuitbreaker.RetryPolicy;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.impl.PooledRedisConnection;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One held, pipelined connection to Redis and the loop that keeps it up: connect with a deadline,
 * notice loss (peer close, socket error, or being taken out of service), reconnect with exponential
 * backoff and full jitter, and a watchdog that takes a connection out of service when a command on
 * it has waited longer than the command timeout. Connect, reconnect and the watchdog
 * run on the slot's own context; {@link #connection()}, {@link #reserve} and {@link #release} are
 * called from any thread.
 */
final class ConnectionSlot {

  private static final Logger log = LoggerFactory.getLogger(ConnectionSlot.class);

  /** What the owning layer hears from its slots. */
  interface Listener {
    void connected(ConnectionSlot slot, boolean afterLoss);

    void authRejected(ConnectionSlot slot, String reason);
  }

  final int index;
  /** Commands written to this connection whose reply has not arrived yet (a batch counts its size). */
  final AtomicInteger inFlight = new AtomicInteger();
  /**
   * Commands reserved (sent) and released (answered, or failed) on this slot since it began. One
   * watchdog per slot reads them instead of a timer per command (which cost a schedule and a cancel
   * on every call): replies come in order, so when fewer commands have been answered than had been
   * sent a command timeout ago, the oldest of them has waited longer than the timeout.
   */
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  /** The watchdog's last ticks: when, and how many commands had been sent then (slot context only). */
  private final WatchdogTicks ticks = new WatchdogTicks();
  /** The connection the watchdog found hung: what fails on it failed because Redis did not answer. */
  private volatile RedisConnection hung;
  private long watchdogTimer = -1;

  private final Vertx vertx;
  private final Context context;
  /** The thread the connection does its I/O on: a caller on it sends and hears back without a hop. */
  private final EventLoop eventLoop;
  private final Redis client;
  private final RedisSettings settings;
  private final RetryPolicy backoff;
  private final Listener listener;
  /** Cluster mode: counts the redirects each node socket receives; null otherwise. */
  private final RedirectCounter redirects;
  /** Whether a connection reaches the server it should (sentinel mode: the master the sentinels name). */
  private final Predicate<RedisConnection> rightServer;

  /** Reconnects of a connection that lived shorter than this count as failed attempts (no backoff reset). */
  private static final long STABLE_AFTER_NANOS = 1_000_000_000L;
  /** Backoff stops doubling here (the circuit breaker's policy would overflow at 64). */
  private static final int MAX_BACKOFF_STEP = 16;

  private final AtomicReference<RedisConnection> connection = new AtomicReference<>();
  private volatile boolean closed;
  private int failedAttempts;
  private long connectedAtNanos;
  private boolean everConnected;
  private boolean lossLogged;
  private long reconnectTimer = -1;

  ConnectionSlot(int index, Vertx vertx, Context context, Redis client, RedisSettings settings,
      Listener listener, RedirectCounter redirects, Predicate<RedisConnection> rightServer) {
    this.redirects = redirects;
    this.rightServer = rightServer;
    this.index = index;
    this.vertx = vertx;
    this.context = context;
    this.eventLoop = ((ContextInternal) context).nettyEventLoop();
    this.client = client;
    this.settings = settings;
    this.listener = listener;
    this.backoff = RetryPolicy.exponentialDelayWithJitter(settings.reconnectInitialDelayMs(),
        settings.reconnectMaxDelayMs());
  }

  /** Whether the calling thread is this connection's event loop. */
  boolean isLocal() {
    return eventLoop.inEventLoop();
  }

  /** The live connection, or null while (re)connecting. */
  RedisConnection connection() {
    return connection.get();
  }

  /** Takes {@code cost} in-flight places if that keeps within {@code limit}; false (and none taken) if not. */
  boolean reserve(int cost, int limit) {
    if (inFlight.addAndGet(cost) > limit) {
      inFlight.addAndGet(-cost);
      return false;
    }
    sent.addAndGet(cost);
    return true;
  }

  /** Gives back the places of a command whose reply (or failure) has arrived. */
  void release(int cost) {
    answered.addAndGet(cost);
    inFlight.addAndGet(-cost);
  }

  /** Whether the watchdog took {@code conn} out of service because it stopped answering. */
  boolean foundHung(RedisConnection conn) {
    return conn != null && hung == conn;
  }

  /**
   * Starts connecting and watching; the future completes after the first attempt, whether it worked
   * or not.
   */
  io.vertx.core.Future<Void> start() {
    io.vertx.core.Promise<Void> firstAttempt = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      long tick = Math.max(5, settings.commandTimeoutMs() / 10);
      watchdogTimer = vertx.setPeriodic(tick, t -> watch());
      connect(firstAttempt);
    });
    return firstAttempt.future();
  }

  /**
   * A connection on which a command sent a command timeout ago (or earlier) is still unanswered is
   * hung: replace it. Only ticks since the connection came up count, so the commands of the one it
   * replaced (failed, but perhaps not yet released) never condemn it.
   */
  private void watch() {
    long now = System.nanoTime();
    ticks.record(now, sent.get());
    RedisConnection conn = connection.get();
    if (conn == null) {
      return;
    }
    long timeoutNanos = settings.commandTimeoutMs() * 1_000_000L;
    long sentThen = ticks.sentAtNewestTickOlderThan(now, timeoutNanos, connectedAtNanos);
    if (sentThen >= 0 && answered.get() < sentThen) {
      hung = conn;
      takeOutOfService(conn, "no reply within " + settings.commandTimeoutMs() + " ms");
    }
  }

  private void connect(io.vertx.core.Promise<Void> attemptDone) {
    reconnectTimer = -1;
    if (closed) {
      attemptDone.tryComplete();
      return;
    }
    // The client has no handshake deadline: a black-holed server would keep this attempt forever.
    long[] timer = new long[1];
    boolean[] abandoned = new boolean[1];
    timer[0] = vertx.setTimer(settings.connectTimeoutMs(), t -> {
      abandoned[0] = true;
      attemptFailed(new RedisFailure(RedisFailure.Kind.TIMEOUT,
          "connect did not finish within " + settings.connectTimeoutMs() + " ms", true, null));
      attemptDone.tryComplete();
    });
    client.connect().onComplete(ar -> {
      if (abandoned[0]) {
        if (ar.succeeded()) {
          forceClose(ar.result());
        }
        return;
      }
      if (ar.failed()) {
        vertx.cancelTimer(timer[0]);
        attemptFailed(ar.cause());
        attemptDone.tryComplete();
        return;
      }
      // Publish the connection only once it answers: a handshake can pass without a login
      // (no password in the URL, requirepass on the server) and every command would then fail.
      RedisConnection conn = ar.result();
      conn.send(Request.cmd(Command.PING)).onComplete(pong -> {
        if (abandoned[0]) {
          forceClose(conn);
          return;
        }
        vertx.cancelTimer(timer[0]);
        if (pong.succeeded() && !rightServer.test(conn)) {
          // The client's view of the sentinels lags behind a failover: try again, with backoff.
          forceClose(conn);
          attemptFailed(RedisFailure.of(RedisFailure.Kind.NOT_CONNECTED,
              "reached " + ClientSockets.serverAddress(conn) + ", which is no longer the master"));
        } else if (pong.succeeded()) {
          attach(conn);
        } else {
          forceClose(conn);
          attemptFailed(pong.cause());
        }
        attemptDone.tryComplete();
      });
    });
  }

  private void attach(RedisConnection conn) {
    if (closed) {
      forceClose(conn);
      return;
    }
    if (ClientSockets.isCluster(conn)) {
      // One node's socket closing (a master killed) must not take the others with it: the cluster
      // connection forgets that socket, and opens a new one to that node when a command needs it.
      for (RedisConnection node : ClientSockets.nodesOf(conn)) {
        watchNode(conn, node);
      }
    } else {
      FlushCoalescing.install(conn);
      conn.endHandler(v -> lost(conn, "closed by Redis or the network"));
      conn.exceptionHandler(err -> {
        lost(conn, String.valueOf(err.getMessage()));
        forceClose(conn);
      });
    }
    boolean afterLoss = everConnected;
    if (lossLogged) {
      log.info("Redis connection {} restored", index);
    }
    everConnected = true;
    lossLogged = false;
    connectedAtNanos = System.nanoTime();
    connection.set(conn);
    if (closed && connection.compareAndSet(conn, null)) {
      forceClose(conn); // close() ran on another thread meanwhile and saw no connection to close
      return;
    }
    listener.connected(this, afterLoss);
  }

  /**
   * Cluster mode: coalesces and counts what a node socket carries, and has the cluster connection
   * forget it once it closes. Called again by the health checks for the sockets the cluster connection
   * opened since (to a promoted replica, after a redirect).
   */
  void watchNode(RedisConnection cluster, RedisConnection node) {
    FlushCoalescing.install(node);
    if (redirects != null) {
      redirects.install(node);
    }
    node.endHandler(v -> ClientSockets.forget(cluster, node));
    node.exceptionHandler(err -> {
      ClientSockets.forget(cluster, node);
      forceClose(node);
    });
  }

  private void attemptFailed(Throwable cause) {
    failedAttempts++;
    String reason = RedisErrors.oneLine(cause.getMessage());
    boolean authRejected = RedisErrors.authRefused(reason);
    if (failedAttempts == 1) {
      log.warn("Redis connection {} could not connect to {}: {}; retrying {}", index, settings.redactedUrl(),
          reason, authRejected ? "every " + settings.authRetryDelayMs() + " ms" : "with backoff");
      lossLogged = true;
    }
    if (authRejected) {
      listener.authRejected(this, reason);
    }
    long delay = authRejected ? settings.authRetryDelayMs()
        : backoff.delay(cause, Math.min(failedAttempts, MAX_BACKOFF_STEP));
    scheduleReconnect(Math.max(1, delay));
  }

  private void lost(RedisConnection conn, String reason) {
    if (!connection.compareAndSet(conn, null)) {
      return; // already known: one loss, one log line, one reconnect
    }
    context.runOnContext(v -> {
      if (closed) {
        return;
      }
      // A connection dropped soon after it came up does not reset the backoff: no reconnect storm
      // against a server that accepts and then drops us.
      boolean stable = System.nanoTime() - connectedAtNanos > STABLE_AFTER_NANOS;
      failedAttempts = stable ? 0 : failedAttempts + 1;
      log.warn("Redis connection {} lost: {}; reconnecting", index, reason);
      lossLogged = true;
      scheduleReconnect(Math.max(1, backoff.delay(null, Math.min(failedAttempts, MAX_BACKOFF_STEP))));
    });
  }

  private void scheduleReconnect(long delayMs) {
    if (closed || reconnectTimer != -1) {
      return;
    }
    reconnectTimer = vertx.setTimer(delayMs, t -> connect(io.vertx.core.Promise.promise()));
  }

  /**
   * Takes the given connection out of service: its socket is closed, every command in flight on it
   * fails, and a fresh connection replaces it.
   */
  void takeOutOfService(RedisConnection conn, String reason) {
    if (conn != null && connection.get() == conn) {
      lost(conn, "taken out of service: " + reason);
      forceClose(conn);
    }
  }

  /** Takes the connection out of service unless it still reaches the right server ({@code rightServer}). */
  void dropIfWrongServer(String reason) {
    RedisConnection conn = connection.get();
    if (conn != null && !rightServer.test(conn)) {
      takeOutOfService(conn, reason);
    }
  }

  /** Stops reconnecting and closes the socket; commands still in flight fail. */
  void close() {
    closed = true;
    context.runOnContext(v -> {
      if (reconnectTimer != -1) {
        vertx.cancelTimer(reconnectTimer);
        reconnectTimer = -1;
      }
      if (watchdogTimer != -1) {
        vertx.cancelTimer(watchdogTimer);
        watchdogTimer = -1;
      }
    });
    RedisConnection conn = connection.getAndSet(null);
    if (conn != null) {
      forceClose(conn);
    }
  }

  /**
   * Closes the socket itself. {@code RedisConnection.close()} on a pooled connection only hands it
   * back to the pool, hung or not; the client's own {@code forceClose} is the one way to drop it.
   */
  static void forceClose(RedisConnection conn) {
    for (RedisConnection node : ClientSockets.nodesOf(conn)) {
      if (node instanceof PooledRedisConnection pooled) {
        pooled.actual().forceClose();
      } else {
        node.close();
      }
    }
  }
}
