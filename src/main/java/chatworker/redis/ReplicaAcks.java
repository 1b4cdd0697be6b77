package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Durable writes: a write is answered only once {@code WAIT} confirms that the configured number of
 * replicas hold it; otherwise it fails as {@link Kind#NOT_REPLICATED} (the contract's 503).
 *
 * <p>{@code WAIT} waits for the replication offset of the connection's own last write, and blocks that
 * connection until it returns, which on a pipelined connection holds up every command behind it. So a
 * write's {@code WAIT} goes on the connection the write ran on, after its reply, and one {@code WAIT}
 * at a time per connection covers every write answered before it was sent: under load, one
 * {@code WAIT} confirms a whole flush of other jobs' writes, and the commands behind it wait for one
 * replica round trip at most (a write itself for two {@code WAIT}s at most).
 *
 * <p>During a failover ({@link #fence}, from the sentinels' announcements) nothing is confirmed: the
 * replicas still answering may be about to follow a new master that never got the write.
 *
 * <p>In cluster mode a keyless {@code WAIT} sent on its own would reach a random master: there it
 * travels in one batch right behind its write, which the client routes to the write's master.
 */
final class ReplicaAcks {

  /** A failover that was never heard to end stops fencing after this long (a lost announcement). */
  private static final long MAX_FENCE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final RedisSettings settings;
  private final Map<RedisConnection, Barrier> barriers = Collections.synchronizedMap(new WeakHashMap<>());
  private final LongAdder shortfalls = new LongAdder();
  private final LongAdder waits = new LongAdder();
  /** Bumped when a failover starts or ends: a WAIT that saw it change confirms nothing. */
  private final AtomicLong failoverEpoch = new AtomicLong();
  /** When the failover under way started (nanoTime), or 0. */
  private volatile long fencedSinceNanos;

  ReplicaAcks(RedisSettings settings) {
    this.settings = settings;
  }

  /**
   * From now until {@link #unfence}, no write is confirmed: a failover is under way, and the replicas
   * that answer WAIT may be about to follow a new master that lacks the write (see SentinelEvents).
   */
  void fence() {
    failoverEpoch.incrementAndGet();
    fencedSinceNanos = System.nanoTime() | 1; // never 0
  }

  /** The failover ended; WAITs sent before now still confirm nothing. */
  void unfence() {
    failoverEpoch.incrementAndGet();
    fencedSinceNanos = 0;
  }

  /** The operation that sends {@code request} and answers once it is durable. */
  Function<RedisConnection, Future<Response>> durable(Request request) {
    if (settings.durabilityReplicas() == 0) {
      return conn -> conn.send(request);
    }
    if (settings.mode() == RedisMode.CLUSTER) {
      return conn -> {
        long epoch = failoverEpoch.get();
        return conn.batch(List.of(request, waitRequest())).compose(replies -> {
          waits.increment();
          return checked(replies.get(1), epoch).map(replies.get(0));
        });
      };
    }
    return conn -> conn.send(request).compose(reply -> barrier(conn).confirm(conn).map(reply));
  }

  /** In-flight places a durable write takes: its batch's size in cluster mode. */
  int cost() {
    return settings.durabilityReplicas() > 0 && settings.mode() == RedisMode.CLUSTER ? 2 : 1;
  }

  boolean fenced() {
    long since = fencedSinceNanos;
    return since != 0 && System.nanoTime() - since < MAX_FENCE_NANOS;
  }

  /** WAITs that confirmed fewer replicas than required, or none during a failover. */
  long shortfalls() {
    return shortfalls.sum();
  }

  /** WAITs sent. */
  long waits() {
    return waits.sum();
  }

  private Barrier barrier(RedisConnection conn) {
    return barriers.computeIfAbsent(conn, c -> new Barrier());
  }

  private Request waitRequest() {
    return Request.cmd(Command.WAIT).arg(settings.durabilityReplicas()).arg(settings.durabilityWaitTimeoutMs());
  }

  /** Whether {@code acked} (WAIT's reply) confirms the writes of a WAIT sent in {@code epoch}. */
  private Future<Void> checked(Response acked, long epoch) {
    if (epoch != failoverEpoch.get() || fenced()) {
      shortfalls.increment();
      return Future.failedFuture(RedisFailure.of(Kind.NOT_REPLICATED,
          "a Redis failover was under way: the write may not reach the new master"));
    }
    long replicas = acked.toLong();
    if (replicas >= settings.durabilityReplicas()) {
      return Future.succeededFuture();
    }
    shortfalls.increment();
    return Future.failedFuture(RedisFailure.of(Kind.NOT_REPLICATED, replicas + " of "
        + settings.durabilityReplicas() + " replicas confirmed the write within "
        + settings.durabilityWaitTimeoutMs() + " ms"));
  }

  /**
   * The WAITs of one connection: at most one in flight, and the writes the next one will cover. A
   * WAIT leaves at the end of the event-loop turn in which it became due, so the replies read together
   * (writes that queued behind the last WAIT in Redis, or arrived in one read) share it: a write waits
   * for two WAITs at most. It holds no reference to its connection, so the map forgets a closed
   * connection's barrier.
   */
  private final class Barrier {
    private List<Promise<Void>> next = new ArrayList<>();
    private boolean waiting;

    /** Answers once a WAIT sent on {@code conn} after this call confirms the replicas. */
    synchronized Future<Void> confirm(RedisConnection conn) {
      Promise<Void> confirmed = Promise.promise();
      next.add(confirmed);
      if (!waiting) {
        waiting = true;
        atEndOfTurn(conn);
      }
      return confirmed.future();
    }

    private void atEndOfTurn(RedisConnection conn) {
      Context context = Vertx.currentContext();
      if (context != null) {
        context.runOnContext(v -> sendWait(conn));
      } else {
        sendWait(conn);
      }
    }

    /** Sends one WAIT for every write answered so far, or stops waiting when there is none. */
    private synchronized void sendWait(RedisConnection conn) {
      if (next.isEmpty()) {
        waiting = false;
        return;
      }
      List<Promise<Void>> covered = next;
      next = new ArrayList<>();
      waits.increment();
      long epoch = failoverEpoch.get();
      conn.send(waitRequest()).onComplete(ar -> {
        Future<Void> outcome = ar.succeeded() ? checked(ar.result(), epoch) : Future.failedFuture(ar.cause());
        covered.forEach(p -> outcome.onComplete(p));
        atEndOfTurn(conn);
      });
    }
  }
}
