package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layer's one circuit breaker ({@code redis}) and the gate every call passes: what counts as a
 * failure (Redis unreachable or hung; in HALF_OPEN anything), failing fast while open, and each state
 * change logged once and counted. Every call's outcome reaches its caller here, on the caller's
 * context, and its failure is counted by kind.
 */
final class BreakerGate {

  /** The layer's events keep the logger name operators know. */
  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);

  private final Vertx vertx;
  private final FailureCounts failures;
  private final CircuitBreaker breaker;
  private final Map<CircuitBreakerState, LongAdder> changes = new EnumMap<>(CircuitBreakerState.class);
  /** The breaker's state is CLOSED: mirrored from its handlers, read on every call without its lock. */
  private volatile boolean closed = true;
  /** A failure was reported to the breaker since the last success reset its count. */
  private volatile boolean counting;

  BreakerGate(Vertx vertx, RedisSettings settings, FailureCounts failures) {
    this.vertx = vertx;
    this.failures = failures;
    for (CircuitBreakerState state : CircuitBreakerState.values()) {
      changes.put(state, new LongAdder());
    }
    this.breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
            .setMaxFailures(settings.breakerMaxFailures())
            .setResetTimeout(settings.breakerResetTimeoutMs())
            .setTimeout(-1) // every call carries its own deadline
            .setMaxRetries(0)) // retries are per call (RetryLoop): only what is idempotent, inside its deadline
        // Counted: Redis unreachable or hung. In HALF_OPEN any failure re-opens but a reply from Redis
        // (an error reply such as the NOSCRIPT a restarted server gives, or a WAIT's count): Redis
        // answered, which is what the probe asks.
        .failurePolicy(result -> result.failed() && (state() == CircuitBreakerState.HALF_OPEN
            ? !answeredByRedis(result.cause())
            : result.cause() instanceof RedisFailure failure && failure.outage()))
        .openHandler(v -> {
          closed = false;
          changes.get(CircuitBreakerState.OPEN).increment();
          log.warn("Redis circuit breaker OPEN: calls fail fast for {} ms", settings.breakerResetTimeoutMs());
        })
        .halfOpenHandler(v -> {
          closed = false;
          changes.get(CircuitBreakerState.HALF_OPEN).increment();
          log.info("Redis circuit breaker HALF_OPEN: probing");
        })
        .closeHandler(v -> {
          closed = true;
          changes.get(CircuitBreakerState.CLOSED).increment();
          log.info("Redis circuit breaker CLOSED");
        });
  }

  /**
   * Runs a call's {@code attempts} through the gate: beside the breaker while it is closed, through it
   * otherwise (then an open breaker fails the call with {@link Kind#BREAKER_OPEN}). Completes on the
   * caller's context; a failure is a counted {@link RedisFailure}.
   */
  <T> Future<T> call(Supplier<Future<T>> attempts) {
    if (closed) {
      return callWhileClosed(attempts);
    }
    Future<T> result = breaker.execute(attempts);
    return result.recover(err -> Future.failedFuture(failures.counted(err instanceof OpenCircuitException
        ? RedisFailure.of(Kind.BREAKER_OPEN, "Redis circuit breaker is open after repeated failures")
        : RedisErrors.classify(err))));
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
        if (counting && closed) {
          counting = false;
          breaker.reset(); // while CLOSED this only zeroes the failure count, as a success through it would
        }
        result.complete(done.result());
        return;
      }
      RedisFailure failure = RedisErrors.classify(done.cause());
      if (failure.outage()) {
        reportOutage(failure);
      }
      result.fail(failures.counted(failure));
    });
    return result.future();
  }

  /** Lets the breaker count an outage (it may open); the next success resets the count. */
  private void reportOutage(RedisFailure failure) {
    counting = true;
    breaker.execute(() -> Future.failedFuture(failure)); // counted by the failure policy; may open it
  }

  private static boolean answeredByRedis(Throwable cause) {
    Kind kind = RedisErrors.classify(cause).kind();
    return kind == Kind.COMMAND_ERROR || kind == Kind.NOT_REPLICATED;
  }

  /** A health-check PING was answered: while half-open, that is the probe that closes the breaker. */
  void pingAnswered() {
    if (breaker.state() == CircuitBreakerState.HALF_OPEN) {
      breaker.reset();
    }
  }

  /** A health-check PING failed: an outage counts while the breaker is closed, as a call's would. */
  void pingFailed(RedisFailure failure) {
    if (failure.outage() && breaker.state() == CircuitBreakerState.CLOSED) {
      reportOutage(failure);
    }
  }

  /** True while the breaker is open: retrying is pointless then. */
  boolean open() {
    return breaker.state() == CircuitBreakerState.OPEN;
  }

  CircuitBreakerState state() {
    return breaker == null ? CircuitBreakerState.CLOSED : breaker.state(); // null: asked while being built
  }

  /** How often the breaker entered each state, by state name. */
  Map<String, Long> changes() {
    Map<String, Long> snapshot = new LinkedHashMap<>();
    changes.forEach((state, count) -> snapshot.put(state.name(), count.sum()));
    return snapshot;
  }

  void close() {
    breaker.close();
  }
}
