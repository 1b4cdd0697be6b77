package chatworker.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears the sentinels announce a failover, on one subscribed connection to each of them (the sentinel
 * that runs a failover is the only one that announces its steps).
 *
 * <p>Why: in a failover the old master keeps taking writes until it is demoted, and its other
 * replicas keep confirming them until they are moved to the new master, which never had them. Such a
 * write passes {@code WAIT} and is lost all the same. So from the first sign of a failover
 * ({@code +try-failover}, before the new master is chosen) until its end, the layer acknowledges no
 * durable write ({@link ReplicaAcks#fence}); and once {@code +switch-master} names the new master, it
 * replaces every connection, since the old master would take writes for seconds more.
 */
final class SentinelEvents {

  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);

  /** What the layer does when it hears them. */
  interface Listener {
    void failoverStarted();

    /** {@code newMaster}: the new master's {@code ip:port}, or null when the failover was aborted. */
    void failoverEnded(String newMaster);
  }

  private static final Set<String> STARTED = Set.of("+try-failover", "+failover-state-select-slave",
      "+selected-slave", "+failover-state-send-slaveof-noone", "+promoted-slave");
  private static final String SWITCHED = "+switch-master";
  private static final Set<String> ABORTED = Set.of("-failover-abort-not-elected",
      "-failover-abort-no-good-slave", "-failover-abort-slave-timeout", "+failover-end-for-timeout");

  private final Vertx vertx;
  private final List<Redis> sentinels;
  private final SentinelLogins logins;
  private final String masterName;
  private final Listener listener;
  private final RedisConnection[] subscribed;
  /** A subscription being opened (the connect has not answered yet): do not open another. */
  private final boolean[] opening;
  private volatile boolean stopped;

  SentinelEvents(Vertx vertx, List<Redis> sentinels, SentinelLogins logins, String masterName, Listener listener) {
    this.vertx = vertx;
    this.sentinels = sentinels;
    this.logins = logins;
    this.masterName = masterName;
    this.listener = listener;
    this.subscribed = new RedisConnection[sentinels.size()];
    this.opening = new boolean[sentinels.size()];
  }

  /**
   * Subscribes to every sentinel not subscribed yet, unless it refused the credentials lately
   * ({@link SentinelLogins}); called at start and on each topology poll.
   */
  void resubscribe() {
    for (int i = 0; i < sentinels.size(); i++) {
      if (subscribed[i] == null && !opening[i] && !stopped && logins.mayAsk(i)) {
        subscribe(i);
      }
    }
  }

  /**
   * PINGs every subscription (RESP3 allows it on a subscribed connection), on each topology poll: the
   * sentinels announce nothing between failovers, and a connection that reads nothing is closed by the
   * read-idle timeout (which is there for sockets left open by refused handshakes). A subscription that
   * does not answer is dropped and opened again on the next poll.
   */
  void ping() {
    for (int i = 0; i < subscribed.length; i++) {
      RedisConnection conn = subscribed[i];
      if (conn != null && !stopped) {
        int sentinel = i;
        // The answer also says whether the sentinel serves us (SUBSCRIBE's own is not waited for). In
        // RESP3 (sentinels of Redis 6 and later) it is a reply, which never mixes with the announcements.
        conn.send(Request.cmd(Command.PING)).onComplete(done -> logins.ended(sentinel, done.cause()))
            .onFailure(err -> drop(sentinel, conn));
      }
    }
  }

  void stop() {
    stopped = true;
    for (RedisConnection conn : subscribed) {
      if (conn != null) {
        conn.close(); // back to its client, which is closed next
      }
    }
  }

  /** Runs on the layer's context, as every call here does: the arrays need no locks. */
  private void subscribe(int i) {
    opening[i] = true;
    Future<RedisConnection> connected = sentinels.get(i).connect().onComplete(done -> opening[i] = false);
    connected.onFailure(err -> logins.ended(i, err)).onSuccess(conn -> {
      if (stopped) {
        ConnectionSlot.forceClose(conn);
        return;
      }
      conn.handler(push -> heard(i, conn, push));
      conn.endHandler(v -> {
        if (subscribed[i] == conn) {
          subscribed[i] = null;
        }
      });
      conn.exceptionHandler(err -> drop(i, conn));
      Request subscribe = Request.cmd(Command.SUBSCRIBE).arg(SWITCHED);
      STARTED.forEach(subscribe::arg);
      ABORTED.forEach(subscribe::arg);
      subscribed[i] = conn;
      // The client completes SUBSCRIBE once it is written; an error reply comes to the handler.
      conn.send(subscribe).onFailure(err -> drop(i, conn));
    });
  }

  /** Closes a subscription that failed; the next poll opens another. */
  private void drop(int i, RedisConnection conn) {
    if (subscribed[i] == conn) {
      subscribed[i] = null;
    }
    ConnectionSlot.forceClose(conn);
  }

  /**
   * A pushed message: {@code message, channel, payload}; the payload names the master first. Or an
   * error, the sentinel's answer to SUBSCRIBE: NOAUTH when it wants a password that the URL does not
   * give (the handshake then passes without a login).
   */
  private void heard(int i, RedisConnection conn, Response push) {
    if (push instanceof ErrorType refusal) {
      logins.ended(i, refusal);
      drop(i, conn);
      return;
    }
    if (push == null || push.size() < 3 || !"message".equals(String.valueOf(push.get(0)))) {
      return;
    }
    String channel = String.valueOf(push.get(1));
    String payload = String.valueOf(push.get(2));
    if (!concernsOurMaster(channel, payload)) {
      return;
    }
    vertx.runOnContext(v -> {
      if (STARTED.contains(channel)) {
        listener.failoverStarted();
      } else if (SWITCHED.equals(channel)) {
        // <name> <old ip> <old port> <new ip> <new port>
        String[] words = payload.split(" ");
        if (words.length >= 5) {
          log.warn("Redis sentinels switched the master from {}:{} to {}:{}", words[1], words[2], words[3], words[4]);
          listener.failoverEnded(words[3] + ":" + words[4]);
        }
      } else if (ABORTED.contains(channel)) {
        log.warn("Redis sentinels ended a failover without a switch ({})", channel);
        listener.failoverEnded(null);
      }
    });
  }

  /** {@code +switch-master <name> …}; the others: {@code master <name> <ip> <port> …} or a replica's line. */
  private boolean concernsOurMaster(String channel, String payload) {
    List<String> words = List.of(payload.split(" "));
    return SWITCHED.equals(channel) ? words.get(0).equals(masterName) : words.contains(masterName);
  }
}
