package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisConnection;
import java.util.function.Function;

/**
 * One try of a call on a chosen connection, and what its outcome means for that connection: the
 * places are given back when the reply (or the connection's end) arrives, a connection the watchdog
 * found hung fails its commands as {@link Kind#TIMEOUT}, and one that can no longer serve (NOAUTH,
 * READONLY) is taken out of service.
 */
final class CommandAttempt {

  private final Vertx vertx;
  private final RedisSettings settings;

  CommandAttempt(Vertx vertx, RedisSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /**
   * One try on one connection. The caller hears back by its deadline at the latest (a timer, only for
   * a deadline shorter than the command timeout); the command itself has the command timeout, kept
   * by its slot's watchdog, which takes a connection that stopped answering out of service even when
   * its callers have already left: a connection with an unanswered command can no longer be trusted
   * to pair replies with requests (a middlebox may have dropped bytes), so it must not serve anyone
   * else. Its commands then fail as TIMEOUT.
   */
  <T> Future<T> run(SlotChooser.Pick pick, Function<RedisConnection, Future<T>> operation, int cost,
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
      boolean cluster = ClientSockets.isCluster(pick.connection());
      // A cluster connection's closed node socket is forgotten by itself (ConnectionSlot.watchNode):
      // the sockets to the other nodes stay in service.
      if (RedisErrors.connectionUnusable(failure) && !(cluster && RedisErrors.socketClosed(failure))) {
        pick.slot().takeOutOfService(pick.connection(), failure.getMessage());
      }
      if (cluster && failure.kind() == Kind.NOT_CONNECTED) {
        // One node out of reach (a master killed, until its replica takes over) is no reason to fail
        // the calls for every other node fast: the breaker hears of the whole cluster from the PINGs.
        failure = failure.notOutage();
      }
      promise.tryFail(failure);
    });
    return promise.future();
  }
}
