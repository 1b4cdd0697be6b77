package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * Concurrent callers that loop over a call until stopped, on one Vert.x context, counting outcomes
 * (successes, failures by kind, the slowest call, the first success after a mark). Counts only: a
 * caller failing fast can finish millions of calls. Used to put the layer under load while a test
 * breaks Redis.
 */
final class CallerLoad {

  private final Vertx vertx;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger running = new AtomicInteger();
  private final LongAdder started = new LongAdder();
  private final LongAdder ended = new LongAdder();
  private final LongAdder succeeded = new LongAdder();
  private final Map<Kind, LongAdder> failuresByKind = new EnumMap<>(Kind.class);
  private final AtomicLong slowestMillis = new AtomicLong();
  private final AtomicLong markNanos = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong firstSuccessAfterMark = new AtomicLong(-1);
  private final Promise<Void> allStopped = Promise.promise();

  private CallerLoad(Vertx vertx) {
    this.vertx = vertx;
    for (Kind kind : Kind.values()) {
      failuresByKind.put(kind, new LongAdder());
    }
  }

  /** Starts {@code callers} loops; loop {@code i} calls {@code call.apply(i)} again and again. */
  static CallerLoad start(Vertx vertx, int callers, IntFunction<Future<?>> call) {
    CallerLoad load = new CallerLoad(vertx);
    load.running.set(callers);
    vertx.getOrCreateContext().runOnContext(v -> {
      for (int i = 0; i < callers; i++) {
        load.loop(i, call);
      }
    });
    return load;
  }

  private void loop(int caller, IntFunction<Future<?>> call) {
    if (stopping.get()) {
      if (running.decrementAndGet() == 0) {
        allStopped.complete();
      }
      return;
    }
    long begun = System.nanoTime();
    started.increment();
    Future<?> future;
    try {
      future = call.apply(caller);
    } catch (RuntimeException e) {
      future = Future.failedFuture(e);
    }
    future.onComplete(ar -> {
      long now = System.nanoTime();
      slowestMillis.accumulateAndGet((now - begun) / 1_000_000, Math::max);
      if (ar.succeeded()) {
        succeeded.increment();
        if (now > markNanos.get()) {
          firstSuccessAfterMark.compareAndSet(-1, now);
        }
      } else {
        failuresByKind.get(ResilientRedis.classify(ar.cause()).kind()).increment();
      }
      ended.increment();
      // A caller that fails goes again after a 1 ms timer, like any sane client: re-queued at once,
      // fail-fast loops starve the event loop (see VERTX-NOTES.md) and would test the test.
      if (ar.succeeded()) {
        vertx.runOnContext(next -> loop(caller, call));
      } else {
        vertx.setTimer(1, next -> loop(caller, call));
      }
    });
  }

  /** Remembers now; {@link #firstSuccessAfterMark()} then tells when the next success ended. */
  long mark() {
    long now = System.nanoTime();
    firstSuccessAfterMark.set(-1);
    markNanos.set(now);
    return now;
  }

  /** When the first call that succeeded after {@link #mark()} ended (nanoTime), or -1. */
  long firstSuccessAfterMark() {
    return firstSuccessAfterMark.get();
  }

  /** Asks every loop to stop after its current call; completes when all have. */
  Future<Void> stop() {
    stopping.set(true);
    return allStopped.future();
  }

  long successes() {
    return succeeded.sum();
  }

  long failures() {
    return failuresByKind.values().stream().mapToLong(LongAdder::sum).sum();
  }

  long failures(Kind kind) {
    return failuresByKind.get(kind).sum();
  }

  /** Failure counts by kind, for assertions and printouts. */
  Map<Kind, Long> failuresByKind() {
    Map<Kind, Long> counts = new EnumMap<>(Kind.class);
    failuresByKind.forEach((kind, count) -> counts.put(kind, count.sum()));
    return counts;
  }

  long slowestMillis() {
    return slowestMillis.get();
  }

  long callsStarted() {
    return started.sum();
  }

  long callsEnded() {
    return ended.sum();
  }
}
