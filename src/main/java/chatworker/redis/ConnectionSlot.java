package chatworker.redis;

import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.impl.PooledRedisConnection;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One held, pipelined connection to Redis and the loop that keeps it up: connect with a deadline,
 * notice loss (peer close, socket error, or being taken out of service), reconnect with exponential
 * backoff and full jitter. Connect and reconnect run on the layer's context; {@link #connection()} and
 * {@link #inFlight} are read from any thread.
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

  private final Vertx vertx;
  private final Context context;
  private final Redis client;
  private final RedisSettings settings;
  private final RetryPolicy backoff;
  private final Listener listener;

  private volatile RedisConnection connection;
  private volatile boolean closed;
  private int failedAttempts;
  private boolean everConnected;
  private boolean lossLogged;
  private long reconnectTimer = -1;

  ConnectionSlot(int index, Vertx vertx, Context context, Redis client, RedisSettings settings,
      Listener listener) {
    this.index = index;
    this.vertx = vertx;
    this.context = context;
    this.client = client;
    this.settings = settings;
    this.listener = listener;
    this.backoff = RetryPolicy.exponentialDelayWithJitter(settings.reconnectInitialDelayMs(),
        settings.reconnectMaxDelayMs());
  }

  /** The live connection, or null while (re)connecting. */
  RedisConnection connection() {
    return connection;
  }

  /** Starts connecting; the future completes after the first attempt, whether it worked or not. */
  io.vertx.core.Future<Void> start() {
    io.vertx.core.Promise<Void> firstAttempt = io.vertx.core.Promise.promise();
    context.runOnContext(v -> connect(firstAttempt));
    return firstAttempt.future();
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
      vertx.cancelTimer(timer[0]);
      if (ar.succeeded()) {
        attach(ar.result());
      } else {
        attemptFailed(ar.cause());
      }
      attemptDone.tryComplete();
    });
  }

  private void attach(RedisConnection conn) {
    if (closed) {
      forceClose(conn);
      return;
    }
    conn.endHandler(v -> lost(conn, "closed by Redis or the network"));
    conn.exceptionHandler(err -> {
      lost(conn, String.valueOf(err.getMessage()));
      forceClose(conn);
    });
    boolean afterLoss = everConnected;
    if (failedAttempts > 0 || lossLogged) {
      log.info("Redis connection {} restored after {} failed attempt(s)", index, failedAttempts);
    }
    everConnected = true;
    failedAttempts = 0;
    lossLogged = false;
    connection = conn;
    listener.connected(this, afterLoss);
  }

  private void attemptFailed(Throwable cause) {
    failedAttempts++;
    String reason = String.valueOf(cause.getMessage());
    if (failedAttempts == 1) {
      log.warn("Redis connection {} could not connect to {}: {}; retrying with backoff", index,
          settings.redactedUrl(), reason);
      lossLogged = true;
    }
    boolean authRejected = reason.startsWith("WRONGPASS") || reason.startsWith("NOAUTH")
        || reason.contains("invalid password") || reason.contains("invalid username-password");
    if (authRejected) {
      listener.authRejected(this, reason);
    }
    long delay = authRejected ? settings.authRetryDelayMs() : backoff.delay(cause, failedAttempts);
    scheduleReconnect(Math.max(1, delay));
  }

  private void lost(RedisConnection conn, String reason) {
    context.runOnContext(v -> {
      if (connection != conn) {
        return;
      }
      connection = null;
      if (closed) {
        return;
      }
      log.warn("Redis connection {} lost: {}; reconnecting", index, reason);
      lossLogged = true;
      scheduleReconnect(Math.max(1, backoff.delay(null, 0)));
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
    if (conn != null && connection == conn) {
      log.warn("Redis connection {} taken out of service: {}", index, reason);
      forceClose(conn);
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
    });
    RedisConnection conn = connection;
    connection = null;
    if (conn != null) {
      forceClose(conn);
    }
  }

  /**
   * Closes the socket itself. {@code RedisConnection.close()} on a pooled connection only hands it
   * back to the pool, hung or not; the client's own {@code forceClose} is the one way to drop it.
   */
  static void forceClose(RedisConnection conn) {
    if (conn instanceof PooledRedisConnection pooled) {
      pooled.actual().forceClose();
    } else {
      conn.close();
    }
  }
}
