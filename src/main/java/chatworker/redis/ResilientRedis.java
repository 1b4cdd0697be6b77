package chatworker.redis;

import chatworker.time.Deadline;
import chatworker.redis.RedisFailure.Kind;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way to Redis: a small fixed set of held, pipelined connections with a bound on in-flight
 * commands, a deadline on every call, retries of what may be repeated, one circuit breaker, PING health
 * checks and reconnects with backoff. Thread-safe; a call's future completes on the caller's context.
 *
 * <p>Replies are matched to requests in order on each connection and every command's reply is read
 * whole even when its caller has given up, so a late reply can only ever reach the caller that asked.
 */
public final class ResilientRedis {

  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);

  private final Vertx vertx;
  private final Context context;
  private final RedisSettings settings;
  private final Redis client;
  private final CircuitBreaker breaker;
  private final RetryPolicy retryBackoff;
  private final List<ConnectionSlot> slots = new ArrayList<>();
  private final AtomicInteger nextSlot = new AtomicInteger();
  /**
   * How full an ordinary call may find a connection: the bound less an eighth, which is kept for
   * clean-up writes ({@link #sendCleanUp}).
   */
  private final int ordinaryLimit;
  private final Map<Kind, LongAdder> failures = new EnumMap<>(Kind.class);
  private final Map<CircuitBreakerState, LongAdder> breakerChanges = new EnumMap<>(CircuitBreakerState.class);
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong lastPingMicros = new AtomicLong(-1);
  private volatile boolean authRejected;
  private volatile boolean closing;
  /** The breaker's state is CLOSED: mirrored from its handlers, read on every call without its lock. */
  private volatile boolean breakerClosed = true;
  /** A failure was reported to the breaker since the last success reset its count. */
  private volatile boolean breakerCounting;
  private final AtomicBoolean started = new AtomicBoolean();
  private long healthTimer = -1;

  private ResilientRedis(Vertx vertx, RedisSettings settings) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.settings = settings;
    this.ordinaryLimit = settings.maxInFlightPerConnection() - settings.maxInFlightPerConnection() / 8;
    this.client = Redis.createClient(vertx, redisOptions(settings));
    this.retryBackoff = RetryPolicy.exponentialDelayWithJitter(settings.retryInitialDelayMs(),
        settings.retryMaxDelayMs());
    this.breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
            .setMaxFailures(settings.breakerMaxFailures())
            .setResetTimeout(settings.breakerResetTimeoutMs())
            .setTimeout(-1) // every call carries its own deadline
            .setMaxRetries(0)) // retries are per call, below: only what is idempotent, inside its deadline
        // Counted: Redis unreachable or hung. In HALF_OPEN any failure re-opens: only a reply closes.
        .failurePolicy(result -> result.failed() && (breakerState() == CircuitBreakerState.HALF_OPEN
            || result.cause() instanceof RedisFailure failure && failure.outage()))
        .openHandler(v -> {
          breakerClosed = false;
          breakerChanges.get(CircuitBreakerState.OPEN).increment();
          log.warn("Redis circuit breaker OPEN: calls fail fast for {} ms", settings.breakerResetTimeoutMs());
        })
        .halfOpenHandler(v -> {
          breakerClosed = false;
          breakerChanges.get(CircuitBreakerState.HALF_OPEN).increment();
          log.info("Redis circuit breaker HALF_OPEN: probing");
        })
        .closeHandler(v -> {
          breakerClosed = true;
          breakerChanges.get(CircuitBreakerState.CLOSED).increment();
          log.info("Redis circuit breaker CLOSED");
        });
    for (Kind kind : Kind.values()) {
      failures.put(kind, new LongAdder());
    }
    for (CircuitBreakerState state : CircuitBreakerState.values()) {
      breakerChanges.put(state, new LongAdder());
    }
    ConnectionSlot.Listener listener = new ConnectionSlot.Listener() {
      @Override
      public void connected(ConnectionSlot slot, boolean afterLoss) {
        authRejected = false;
        if (afterLoss) {
          reconnects.incrementAndGet();
        }
        ping(slot); // a half-open breaker closes on the first healthy PING
      }

      @Override
      public void authRejected(ConnectionSlot slot, String reason) {
        if (!authRejected) {
          log.error("Redis refused the configured credentials ({}); retrying every {} ms", reason,
              settings.authRetryDelayMs());
        }
        authRejected = true;
      }
    };
    for (int i = 0; i < settings.connections(); i++) {
      // Each connection on an event loop of its own (round robin over the loops): a job running on
      // that loop sends and hears back without handing over to another thread (see pickSlot).
      Context slotContext = ((VertxInternal) vertx).createEventLoopContext();
      slots.add(new ConnectionSlot(i, vertx, slotContext, client, settings, listener));
    }
  }

  /** Creates the layer on the current context (or a new one); call {@link #start()} next. */
  public static ResilientRedis create(Vertx vertx, RedisSettings settings) {
    return new ResilientRedis(vertx, settings);
  }

  static RedisOptions redisOptions(RedisSettings settings) {
    int connections = settings.connections();
    RedisOptions options = new RedisOptions()
        .setConnectionString(settings.url())
        .setPoolName("chatworker-redis") // a stable metrics label instead of a random id per start
        // Room for connect attempts abandoned at their deadline, which hold a socket until it idles out.
        .setMaxPoolSize(connections * 2)
        .setMaxPoolWaiting(connections * 2)
        // The client's per-connection queue must hold our own bound plus the health-check PINGs.
        .setMaxWaitingHandlers(settings.maxInFlightPerConnection() + 16);
    // Change the defaults in place: setNetClientOptions(new …) would drop keepalive and no-delay.
    options.getNetClientOptions()
        .setConnectTimeout((int) settings.connectTimeoutMs())
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true)
        .setReadIdleTimeout((int) settings.readIdleTimeoutMs())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    if (settings.tls()) {
      options.getNetClientOptions()
          .setSsl(true)
          .setHostnameVerificationAlgorithm(settings.tlsVerifyHostname() ? "HTTPS" : "");
      if (settings.tlsCaCertPath() != null) {
        options.getNetClientOptions().setTrustOptions(new PemTrustOptions().addCertPath(settings.tlsCaCertPath()));
      }
    }
    return options;
  }

  /**
   * Opens the connections and starts the health checks. Completes after the first connect attempts,
   * also when Redis is down: the layer keeps reconnecting by itself and calls fail fast meanwhile.
   */
  public Future<Void> start() {
    if (started.getAndSet(true)) {
      return Future.failedFuture(new IllegalStateException("the Redis layer was started already"));
    }
    List<Future<Void>> attempts = new ArrayList<>();
    for (ConnectionSlot slot : slots) {
      attempts.add(slot.start());
    }
    context.runOnContext(v -> healthTimer = vertx.setPeriodic(settings.healthCheckIntervalMs(),
        t -> slots.forEach(this::ping)));
    // The attempts end on the slots' own loops: complete on the caller's context, as every call does.
    Promise<Void> started = ((ContextInternal) vertx.getOrCreateContext()).promise();
    Future.join(attempts).onComplete(done -> started.complete());
    return started.future();
  }

  public RedisSettings settings() {
    return settings;
  }

  /** Sends one command with the default deadline. */
  public Future<Response> send(Request request, boolean idempotent) {
    return send(request, idempotent, Deadline.inMillis(settings.defaultDeadlineMs()));
  }

  /**
   * Sends one command. It fails with a {@link RedisFailure}: a connection-level failure is retried
   * only when {@code idempotent} (or when the command was never written), with backoff, inside the
   * deadline.
   */
  public Future<Response> send(Request request, boolean idempotent, Deadline deadline) {
    return send(request, idempotent, deadline, ordinaryLimit);
  }

  /**
   * Sends a command that frees what others wait for (a chat lock's release, a failed job's end): like
   * {@link #send}, but it may use the last places of the in-flight bound, which ordinary calls leave
   * free. Under a burst that fills the bound, the clean-up of the jobs that failed for it still gets
   * through instead of leaving their locks to the lease (and their chats locked meanwhile).
   */
  public Future<Response> sendCleanUp(Request request, boolean idempotent, Deadline deadline) {
    return send(request, idempotent, deadline, settings.maxInFlightPerConnection());
  }

  private Future<Response> send(Request request, boolean idempotent, Deadline deadline, int limit) {
    RedisFailure refused = RedisErrors.refuse(request);
    if (refused != null) {
      return fail(refused);
    }
    return call(conn -> conn.send(request), 1, limit, idempotent, deadline);
  }

  /**
   * Sends commands pipelined on one connection (not atomic: use a Lua script for that). One failed
   * command fails the whole batch.
   */
  public Future<List<Response>> batch(List<Request> requests, boolean idempotent, Deadline deadline) {
    for (Request request : requests) {
      RedisFailure refused = RedisErrors.refuse(request);
      if (refused != null) {
        return fail(refused);
      }
    }
    return call(conn -> conn.batch(requests), requests.size(), ordinaryLimit, idempotent, deadline);
  }

  /** {@code limit}: how full (in-flight commands) a connection may be for this call to be sent on it. */
  private <T> Future<T> call(Function<RedisConnection, Future<T>> operation, int cost, int limit,
      boolean idempotent, Deadline deadline) {
    if (closing) {
      return fail(RedisFailure.of(Kind.CLOSED, "the Redis layer is closed"));
    }
    if (deadline.expired()) {
      // Never send what the caller no longer waits for: a late SET NX would take a lock for no one.
      return fail(RedisFailure.of(Kind.TIMEOUT, "the call's deadline had passed before it was sent"));
    }
    // A call that finds no connection up keeps trying (with backoff) as long as one reconnect may take,
    // whatever its attempt count: after CLIENT KILL every connection is down for a moment, and fast
    // attempts would otherwise all be spent before the first one is back.
    long reconnectGrace = System.nanoTime()
        + TimeUnit.MILLISECONDS.toNanos(settings.reconnectInitialDelayMs() + settings.connectTimeoutMs());
    if (breakerClosed) {
      return callWhileClosed(() -> withRetries(operation, cost, limit, idempotent, deadline, 1, null,
          reconnectGrace));
    }
    Future<T> result = breaker.execute(() -> withRetries(operation, cost, limit, idempotent, deadline, 1, null,
        reconnectGrace));
    return result.recover(err -> fail(err instanceof OpenCircuitException
        ? RedisFailure.of(Kind.BREAKER_OPEN, "Redis circuit breaker is open after repeated failures")
        : RedisErrors.classify(err)));
  }

  /**
   * A call while the breaker is closed, beside it rather than through {@code breaker.execute}: what
   * the breaker would do on this path (count an outage, reset the count on success) is done by
   * reporting to it, without its promises, context hop and lock on every call. It still completes on
   * the caller's context, as the breaker would. Open and half-open calls go through the breaker.
   */
  private <T> Future<T> callWhileClosed(Supplier<Future<T>> attempts) {
    Promise<T> result = ((ContextInternal) vertx.getOrCreateContext()).promise();
    attempts.get().onComplete(done -> {
      if (done.succeeded()) {
        if (breakerCounting && breakerClosed) {
          breakerCounting = false;
          breaker.reset(); // while CLOSED this only zeroes the failure count, as a success through it would
        }
        result.complete(done.result());
        return;
      }
      RedisFailure failure = RedisErrors.classify(done.cause());
      if (failure.outage()) {
        breakerCounting = true;
        breaker.execute(() -> Future.failedFuture(failure)); // counted by the failure policy; may open it
      }
      result.fail(counted(failure));
    });
    return result.future();
  }

  /**
   * Runs attempts until one succeeds or retrying is pointless. {@code hung} is the first attempt on
   * which Redis did not answer in time: a call that saw one ends as TIMEOUT whatever came after, so
   * the caller learns that Redis hung rather than only what the retries met. Until
   * {@code reconnectGrace} (nanoTime) a call that found no connection is retried beyond the attempt
   * limit.
   */
  private <T> Future<T> withRetries(Function<RedisConnection, Future<T>> operation, int cost, int limit,
      boolean idempotent, Deadline deadline, int attempt, RedisFailure hung, long reconnectGrace) {
    return attempt(pickSlot(cost, limit), operation, cost, deadline).recover(err -> {
      RedisFailure failure = (RedisFailure) err;
      RedisFailure firstHang = hung != null ? hung : failure.kind() == Kind.TIMEOUT && failure.outage() ? failure : null;
      if (closing) {
        return Future.failedFuture(RedisFailure.of(Kind.CLOSED, "the Redis layer closed during the call"));
      }
      boolean attemptsLeft = attempt < settings.maxAttempts()
          || failure.kind() == Kind.NOT_CONNECTED && System.nanoTime() - reconnectGrace < 0;
      if (retryable(failure, idempotent) && attemptsLeft && breaker.state() != CircuitBreakerState.OPEN) {
        long delay = Math.max(1, retryBackoff.delay(failure, attempt));
        if (delay < deadline.remainingMillis()) {
          Promise<T> retried = Promise.promise();
          vertx.setTimer(delay, t -> withRetries(operation, cost, limit, idempotent, deadline, attempt + 1, firstHang,
                  reconnectGrace).onComplete(retried));
          return retried.future();
        }
        return Future.failedFuture(new RedisFailure(Kind.TIMEOUT,
            "deadline passed while retrying after: " + failure.getMessage(), failure.outage() || firstHang != null, null));
      }
      if (firstHang != null && failure != firstHang) {
        return Future.failedFuture(new RedisFailure(Kind.TIMEOUT,
            firstHang.getMessage() + "; then: " + failure.getMessage(), true, null));
      }
      return Future.failedFuture(failure);
    });
  }

  private static boolean retryable(RedisFailure failure, boolean idempotent) {
    return switch (failure.kind()) {
      case NOT_CONNECTED -> true; // never written to any socket
      case CONNECTION_LOST -> idempotent;
      case TIMEOUT -> idempotent && failure.outage(); // the connection hung, not the caller's deadline
      default -> false;
    };
  }

  /**
   * Picks a connection with room: the one on the caller's event loop if there is one, else round
   * robin; reserves {@code cost} in-flight places on it.
   */
  private SlotPick pickSlot(int cost, int limit) {
    for (ConnectionSlot slot : slots) {
      RedisConnection conn = slot.isLocal() ? slot.connection() : null;
      if (conn != null) {
        if (slot.reserve(cost, limit)) {
          return new SlotPick(slot, conn, null);
        }
        break;
      }
    }
    int size = slots.size();
    int start = Math.floorMod(nextSlot.getAndIncrement(), size);
    boolean anyConnected = false;
    for (int i = 0; i < size; i++) {
      ConnectionSlot slot = slots.get((start + i) % size);
      RedisConnection conn = slot.connection();
      if (conn == null) {
        continue;
      }
      anyConnected = true;
      if (slot.reserve(cost, limit)) {
        return new SlotPick(slot, conn, null);
      }
    }
    RedisFailure failure = anyConnected
        ? RedisFailure.of(Kind.QUEUE_FULL, "Redis request queue is full (" + size * limit + " commands in flight)")
        : new RedisFailure(Kind.NOT_CONNECTED, authRejected
            ? "Redis refused the configured credentials" : "no connection to Redis is up", true, null);
    return new SlotPick(null, null, failure);
  }

  private record SlotPick(ConnectionSlot slot, RedisConnection connection, RedisFailure failure) {}

  /**
   * One try on one connection. The caller hears back by its deadline at the latest (a timer, only for
   * a deadline shorter than the command timeout); the command itself has the command timeout, kept
   * by its slot's watchdog, which takes a connection that stopped answering out of service even when
   * its callers have already left: a connection with an unanswered command can no longer be trusted
   * to pair replies with requests (a middlebox may have dropped bytes), so it must not serve anyone
   * else. Its commands then fail as TIMEOUT.
   */
  private <T> Future<T> attempt(SlotPick pick, Function<RedisConnection, Future<T>> operation, int cost,
      Deadline deadline) {
    if (pick.failure() != null) {
      return Future.failedFuture(pick.failure());
    }
    Promise<T> promise = Promise.promise();
    long callerWait = Math.max(1, deadline.remainingMillis());
    long deadlineTimer = callerWait < settings.commandTimeoutMs()
        ? vertx.setTimer(callerWait, t -> promise.tryFail(RedisFailure.of(Kind.TIMEOUT, "the call's deadline passed")))
        : -1;
    Future<T> sent;
    try {
      sent = operation.apply(pick.connection());
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      // The reply (or the connection's end) has arrived: only now does the place become free.
      pick.slot().release(cost);
      if (deadlineTimer != -1) {
        vertx.cancelTimer(deadlineTimer);
      }
      if (ar.succeeded()) {
        promise.tryComplete(ar.result());
        return;
      }
      if (pick.slot().foundHung(pick.connection())) {
        promise.tryFail(new RedisFailure(Kind.TIMEOUT,
            "Redis did not answer within " + settings.commandTimeoutMs() + " ms", true, null));
        return;
      }
      RedisFailure failure = RedisErrors.classify(ar.cause());
      if (RedisErrors.connectionUnusable(failure)) {
        pick.slot().takeOutOfService(pick.connection(), failure.getMessage());
      }
      promise.tryFail(failure);
    });
    return promise.future();
  }

  /**
   * PINGs one connection, outside the breaker so that it is never refused: a hung PING closes its
   * connection and counts as a failure; a healthy one closes a half-open breaker (the probe).
   */
  private void ping(ConnectionSlot slot) {
    RedisConnection conn = slot.connection();
    if (conn == null || closing) {
      return;
    }
    slot.reserve(1, Integer.MAX_VALUE);
    long started = System.nanoTime();
    // A deadline past the command timeout: only the slot's watchdog ends a hung PING.
    attempt(new SlotPick(slot, conn, null), c -> c.send(Request.cmd(Command.PING)), 1,
        Deadline.inMillis(settings.commandTimeoutMs() + 1_000))
        .onSuccess(pong -> {
          lastPingMicros.set(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started));
          if (breaker.state() == CircuitBreakerState.HALF_OPEN) {
            breaker.reset();
          }
        })
        .onFailure(err -> {
          if (((RedisFailure) err).outage() && breaker.state() == CircuitBreakerState.CLOSED) {
            breakerCounting = true; // the next success resets the count, as for a call's failure
            breaker.execute(() -> Future.failedFuture(err)); // let the breaker count it
          }
        });
  }

  /** What a failure means to a caller of the layer (tests classify what they saw with it). */
  static RedisFailure classify(Throwable err) {
    return RedisErrors.classify(err);
  }

  private CircuitBreakerState breakerState() {
    return breaker == null ? CircuitBreakerState.CLOSED : breaker.state();
  }

  private <T> Future<T> fail(RedisFailure failure) {
    return Future.failedFuture(counted(failure));
  }

  /** Counts a failure that reaches a caller, by kind (for /status and /metrics). */
  private RedisFailure counted(RedisFailure failure) {
    failures.get(failure.kind()).increment();
    return failure;
  }

  /** The layer's state right now. */
  public RedisHealth health() {
    int up = 0;
    int inFlight = 0;
    for (ConnectionSlot slot : slots) {
      up += slot.connection() != null ? 1 : 0;
      inFlight += slot.inFlight.get();
    }
    Map<String, Long> counts = new LinkedHashMap<>();
    failures.forEach((kind, count) -> counts.put(kind.name(), count.sum()));
    Map<String, Long> changes = new LinkedHashMap<>();
    breakerChanges.forEach((state, count) -> changes.put(state.name(), count.sum()));
    long ping = lastPingMicros.get();
    return new RedisHealth(breaker.state().name(), up, slots.size(), inFlight,
        slots.size() * settings.maxInFlightPerConnection(), ping < 0 ? -1 : ping / 1000.0,
        reconnects.get(), authRejected, counts, changes);
  }

  /**
   * Stops taking calls, lets commands in flight finish for up to the command timeout, then closes
   * every socket; what is still in flight then fails with {@link Kind#CONNECTION_LOST}.
   */
  public Future<Void> close() {
    closing = true;
    Promise<Void> drained = Promise.promise();
    context.runOnContext(v -> {
      if (healthTimer != -1) {
        vertx.cancelTimer(healthTimer);
      }
      Deadline deadline = Deadline.inMillis(settings.commandTimeoutMs());
      awaitDrained(deadline, drained);
    });
    return drained.future()
        .andThen(v -> slots.forEach(ConnectionSlot::close))
        .compose(v -> client.close())
        .andThen(v -> breaker.close())
        .andThen(v -> log.info("Redis layer closed"));
  }

  private void awaitDrained(Deadline deadline, Promise<Void> drained) {
    int inFlight = slots.stream().mapToInt(slot -> slot.inFlight.get()).sum();
    if (inFlight == 0 || deadline.expired()) {
      drained.complete();
    } else {
      vertx.setTimer(5, t -> awaitDrained(deadline, drained));
    }
  }
}
