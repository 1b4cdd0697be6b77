package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import chatworker.time.Deadline;
import io.vertx.circuitbreaker.RetryPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisConnection;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Retries of one call: what may be repeated (never-sent always, lost or hung only when idempotent),
 * exponential backoff with full jitter (the circuit breaker's own policy), inside the call's deadline,
 * never while the breaker is open or the layer is closing. A call that met a hung Redis ends as
 * {@link Kind#TIMEOUT} whatever came after.
 */
final class RetryLoop {

  private final Vertx vertx;
  private final RedisSettings settings;
  private final SlotChooser chooser;
  private final CommandAttempt attempt;
  private final BreakerGate gate;
  private final Shutdown shutdown;
  private final RetryPolicy backoff;
  private final long reconnectGraceNanos;

  RetryLoop(Vertx vertx, RedisSettings settings, SlotChooser chooser, CommandAttempt attempt, BreakerGate gate,
      Shutdown shutdown) {
    this.vertx = vertx;
    this.settings = settings;
    this.chooser = chooser;
    this.attempt = attempt;
    this.gate = gate;
    this.shutdown = shutdown;
    this.backoff = RetryPolicy.exponentialDelayWithJitter(settings.retryInitialDelayMs(), settings.retryMaxDelayMs());
    this.reconnectGraceNanos = TimeUnit.MILLISECONDS.toNanos(settings.reconnectInitialDelayMs() + settings.connectTimeoutMs());
  }

  /**
   * Until when (nanoTime) a call made now that finds no connection up keeps trying, whatever its
   * attempt count: as long as one reconnect may take. After CLIENT KILL every connection is down for
   * a moment, and fast attempts would otherwise all be spent before the first one is back.
   */
  long reconnectGraceFromNow() {
    return System.nanoTime() + reconnectGraceNanos;
  }

  /** Runs the call's attempts, the first at once, until one succeeds or retrying is pointless. */
  <T> Future<T> run(Function<RedisConnection, Future<T>> operation, int cost, SlotChooser.Use use, boolean idempotent,
      Deadline deadline, long reconnectGrace) {
    return withRetries(operation, cost, use, idempotent, deadline, 1, null, reconnectGrace);
  }

  /**
   * Runs attempts until one succeeds or retrying is pointless. {@code hung} is the first attempt on
   * which Redis did not answer in time: a call that saw one ends as TIMEOUT whatever came after, so
   * the caller learns that Redis hung rather than only what the retries met. Until
   * {@code reconnectGrace} (nanoTime) a call that found no connection is retried beyond the attempt
   * limit.
   */
  private <T> Future<T> withRetries(Function<RedisConnection, Future<T>> operation, int cost, SlotChooser.Use use,
      boolean idempotent, Deadline deadline, int attempt, RedisFailure hung, long reconnectGrace) {
    return this.attempt.run(chooser.pick(cost, use), operation, cost, deadline).recover(err -> {
      RedisFailure failure = (RedisFailure) err;
      RedisFailure firstHang = hung != null ? hung : failure.kind() == Kind.TIMEOUT && failure.outage() ? failure : null;
      if (shutdown.closing()) {
        return Future.failedFuture(RedisFailure.of(Kind.CLOSED, "the Redis layer closed during the call"));
      }
      boolean attemptsLeft = attempt < settings.maxAttempts()
          || failure.kind() == Kind.NOT_CONNECTED && System.nanoTime() - reconnectGrace < 0;
      if (retryable(failure, idempotent) && attemptsLeft && !gate.open()) {
        long delay = Math.max(1, backoff.delay(failure, attempt));
        if (delay < deadline.remainingMillis()) {
          Promise<T> retried = Promise.promise();
          vertx.setTimer(delay, t -> withRetries(operation, cost, use, idempotent, deadline, attempt + 1, firstHang,
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

  private boolean retryable(RedisFailure failure, boolean idempotent) {
    return switch (failure.kind()) {
      // Never written to any socket; but with the credentials refused the next login is
      // authRetryDelayMs away, so trying again meanwhile only delays the answer.
      case NOT_CONNECTED -> !chooser.authRejected();
      case CONNECTION_LOST -> idempotent;
      case TIMEOUT -> idempotent && failure.outage(); // the connection hung, not the caller's deadline
      default -> false;
    };
  }
}
