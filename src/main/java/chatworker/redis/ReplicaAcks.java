package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
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
 * replica round trip at most.
 *
 * <p>In cluster mode a keyless {@code WAIT} sent on its own would reach a random master: there it
 * travels in one batch right behind its write, which the client routes to the write's master.
 */
final class ReplicaAcks {

  private final RedisSettings settings;
  private final Map<RedisConnection, Barrier> barriers = Collections.synchronizedMap(new WeakHashMap<>());
  private final LongAdder shortfalls = new LongAdder();
  private final LongAdder waits = new LongAdder();

  ReplicaAcks(RedisSettings settings) {
    this.settings = settings;
  }

  /** The operation that sends {@code request} and answers once it is durable; its cost in in-flight places. */
  Function<RedisConnection, Future<Response>> durable(Request request) {
    if (settings.durabilityReplicas() == 0) {
      return conn -> conn.send(request);
    }
    if (settings.mode() == RedisMode.CLUSTER) {
      return conn -> conn.batch(List.of(request, waitRequest())).compose(replies -> {
        waits.increment();
        return checked(replies.get(1)).map(replies.get(0));
      });
    }
    return conn -> conn.send(request).compose(reply -> barrier(conn).confirm(conn).map(reply));
  }

  /** In-flight places a durable write takes: its batch's size in cluster mode. */
  int cost() {
    return settings.durabilityReplicas() > 0 && settings.mode() == RedisMode.CLUSTER ? 2 : 1;
  }

  /** WAITs that confirmed fewer replicas than required. */
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

  private Future<Void> checked(Response acked) {
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
   * The WAITs of one connection: one in flight, and the writes the next one will cover. It holds no
   * reference to its connection, so the map forgets a closed connection's barrier.
   */
  private final class Barrier {
    private List<Promise<Void>> next = new ArrayList<>();
    private boolean waiting;

    /** Answers once a WAIT sent on {@code conn} after this call confirms the replicas. */
    synchronized Future<Void> confirm(RedisConnection conn) {
      Promise<Void> confirmed = Promise.promise();
      next.add(confirmed);
      if (!waiting) {
        sendWait(conn);
      }
      return confirmed.future();
    }

    /** Sends one WAIT for every write answered so far; called holding the lock. */
    private void sendWait(RedisConnection conn) {
      List<Promise<Void>> covered = next;
      next = new ArrayList<>();
      waiting = true;
      waits.increment();
      conn.send(waitRequest()).onComplete(ar -> {
        Future<Void> outcome = ar.succeeded() ? checked(ar.result()) : Future.failedFuture(ar.cause());
        covered.forEach(p -> outcome.onComplete(p));
        synchronized (this) {
          waiting = false;
          if (!next.isEmpty()) {
            sendWait(conn);
          }
        }
      });
    }
  }
}
