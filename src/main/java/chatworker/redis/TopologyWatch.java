package chatworker.redis;

import chatworker.redis.RedisTopology.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the deployment every {@value #INTERVAL_MS} ms, for /status and /metrics, and logs a failover
 * when the master (sentinel) or the set of masters (cluster) changes: in sentinel mode from the
 * sentinels, in cluster mode with {@code CLUSTER SLOTS} through the layer. The layer does not depend
 * on it: connections follow a failover by themselves (a reconnect asks the sentinels or the cluster
 * again, and a READONLY reply takes a connection to a demoted master out of service).
 */
final class TopologyWatch implements SentinelEvents.Listener {

  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);
  static final long INTERVAL_MS = 2_000;

  private final Vertx vertx;
  private final RedisSettings settings;
  private final Function<Request, Future<Response>> clusterSend;
  private final List<Redis> sentinels = new ArrayList<>();
  /** Sentinel mode: which sentinels may be asked now (one that refused the credentials waits). */
  private final SentinelLogins logins;
  private final LongAdder redirects;
  private final ReplicaAcks acks;
  private final Consumer<String> masterMoved;
  private final SentinelEvents events;
  /** Sentinel mode: the master the sentinels name ({@code ip:port}), or null before the first answer. */
  private volatile String sentinelMaster;
  private volatile List<Node> masters;
  private volatile List<Node> replicas = List.of();
  private volatile long failovers;
  private volatile String lastFailoverAt;
  private volatile long slotMapChanges;
  private volatile String observedAt;
  private Set<String> lastMasters;
  private String lastSlotMap;
  private volatile long timer = -1;
  private volatile boolean stopped;
  /** When the read under way began (nanoTime), or 0 when none is. */
  private long pollingSinceNanos;

  /**
   * @param clusterSend  how {@code CLUSTER SLOTS} is sent (through the layer)
   * @param masterMoved  told the new master's {@code ip:port} when the sentinels name another one
   */
  TopologyWatch(Vertx vertx, RedisSettings settings, Function<Request, Future<Response>> clusterSend,
      LongAdder redirects, ReplicaAcks acks, Consumer<String> masterMoved) {
    this.vertx = vertx;
    this.settings = settings;
    this.clusterSend = clusterSend;
    this.redirects = redirects;
    this.acks = acks;
    this.masterMoved = masterMoved;
    this.masters = settings.mode() == RedisMode.STANDALONE
        ? List.of(new Node(address(settings.url()), null, null, null)) : List.of();
    if (settings.mode() == RedisMode.SENTINEL) {
      for (String url : settings.endpoints()) {
        // Two connections: one subscribed to the failover announcements, one for the polls. The URL's
        // credentials log in here too, and TLS with the same CA, as the layer's own client does (ClientOptions).
        RedisOptions options = new RedisOptions().setConnectionString(url).setMaxPoolSize(2).setMaxPoolWaiting(8);
        ClientOptions.applyTls(options.getNetClientOptions(), settings).setConnectTimeout((int) settings.connectTimeoutMs())
            // A handshake the sentinel refused leaves its socket open (upstream #555): close what reads
            // nothing for this long. Both connections are used on every poll (the subscription is PINGed).
            .setReadIdleTimeout((int) Math.max(settings.readIdleTimeoutMs(), 3 * INTERVAL_MS))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        sentinels.add(Redis.createClient(vertx, options));
      }
    }
    this.logins = new SentinelLogins(settings.mode() == RedisMode.SENTINEL ? settings.endpoints() : List.of(),
        settings.authRetryDelayMs());
    this.events = settings.mode() == RedisMode.SENTINEL
        ? new SentinelEvents(vertx, sentinels, logins, settings.masterName(), this) : null;
  }

  /** Sentinel mode: the master the sentinels name ({@code ip:port}), or null when not known (yet). */
  String sentinelMaster() {
    return sentinelMaster;
  }

  @Override
  public void failoverStarted() {
    if (!acks.fenced()) {
      log.warn("Redis failover under way: no durable write is acknowledged until it ends");
    }
    acks.fence();
  }

  @Override
  public void failoverEnded(String newMaster) {
    acks.unfence();
    if (newMaster != null) {
      masterIs(newMaster);
    }
  }

  private void masterIs(String address) {
    if (!address.equals(sentinelMaster)) {
      boolean moved = sentinelMaster != null;
      sentinelMaster = address;
      if (moved) {
        masterMoved.accept(address);
      }
    }
  }

  /** Starts reading (on the caller's context); standalone mode has nothing to read. */
  void start() {
    if (stopped) {
      return;
    }
    if (events != null) {
      events.resubscribe();
    }
    if (settings.mode() != RedisMode.STANDALONE) {
      poll();
      timer = vertx.setPeriodic(INTERVAL_MS, t -> poll());
    }
  }

  void stop() {
    stopped = true;
    if (timer != -1) {
      vertx.cancelTimer(timer);
    }
    if (events != null) {
      events.stop();
    }
    sentinels.forEach(Redis::close);
  }

  RedisTopology snapshot() {
    return new RedisTopology(settings.mode().label(), masters, replicas, failovers, lastFailoverAt, slotMapChanges,
        redirects.sum(), settings.durabilityReplicas(), acks.waits(), acks.shortfalls(), observedAt);
  }

  private void poll() {
    long now = System.nanoTime();
    if (pollingSinceNanos != 0 && now - pollingSinceNanos < TimeUnit.MILLISECONDS.toNanos(5 * INTERVAL_MS)) {
      return; // the last read has not ended (a sentinel or node that does not answer): skip a turn
    }
    pollingSinceNanos = now;
    if (events != null) {
      events.resubscribe();
      events.ping();
    }
    Future<Void> read = settings.mode() == RedisMode.SENTINEL ? readSentinel() : readCluster();
    read.onComplete(done -> {
      pollingSinceNanos = 0;
      if (done.failed()) {
        log.debug("Redis topology not read: {}", done.cause().toString());
      }
    });
  }

  /**
   * Asks every sentinel for the master and takes the address a majority names (one that has not
   * heard of a failover yet is outvoted); the replicas as the first that answers sees them. A sentinel
   * that refused the credentials is not asked until {@link SentinelLogins} says so.
   */
  private Future<Void> readSentinel() {
    String name = settings.masterName();
    List<Future<Response>> named = new ArrayList<>();
    for (int i = 0; i < sentinels.size(); i++) {
      int sentinel = i;
      named.add(!logins.mayAsk(i) ? Future.failedFuture("not asked: it refused the credentials")
          : sentinels.get(i).send(Request.cmd(Command.SENTINEL).arg("GET-MASTER-ADDR-BY-NAME").arg(name))
              .andThen(answer -> logins.ended(sentinel, answer.cause())));
    }
    return Future.join(named).transform(done -> {
      Map<String, Integer> votes = new HashMap<>();
      for (Future<Response> answer : named) {
        if (answer.succeeded() && answer.result() != null) {
          votes.merge(answer.result().get(0) + ":" + answer.result().get(1), 1, Integer::sum);
        }
      }
      votes.forEach((address, count) -> {
        if (count * 2 > sentinels.size()) {
          masterIs(address);
        }
      });
      int answered = 0;
      while (answered < named.size() && named.get(answered).failed()) {
        answered++;
      }
      if (answered == named.size()) {
        return Future.succeededFuture();
      }
      return sentinels.get(answered).send(Request.cmd(Command.SENTINEL).arg("REPLICAS").arg(name)).map(list -> {
        List<Node> seen = new ArrayList<>();
        for (Response replica : list) {
          String flags = field(replica, "flags");
          if (flags != null && (flags.contains("s_down") || flags.contains("o_down") || flags.contains("disconnected"))) {
            continue; // a replica the sentinels cannot reach is not one the data is safe on
          }
          seen.add(new Node(field(replica, "ip") + ":" + field(replica, "port"), null,
              field(replica, "master-host") + ":" + field(replica, "master-port"),
              "ok".equals(field(replica, "master-link-status"))));
        }
        String master = sentinelMaster;
        observed(master == null ? List.of() : List.of(new Node(master, null, null, null)), seen);
        return (Void) null;
      });
    });
  }

  private Future<Void> readCluster() {
    return clusterSend.apply(Request.cmd(Command.CLUSTER).arg("SLOTS")).map(slots -> {
      List<String> masterAddresses = new ArrayList<>();
      List<String> ranges = new ArrayList<>();
      List<Node> seenReplicas = new ArrayList<>();
      for (Response range : slots) {
        String master = range.get(2).get(0) + ":" + range.get(2).get(1);
        int i = masterAddresses.indexOf(master);
        String span = range.get(0).toInteger() + "-" + range.get(1).toInteger();
        if (i < 0) {
          masterAddresses.add(master);
          ranges.add(span);
        } else {
          ranges.set(i, ranges.get(i) + "," + span);
        }
        for (int r = 3; r < range.size(); r++) {
          Node replica = new Node(range.get(r).get(0) + ":" + range.get(r).get(1), null, master, null);
          if (!seenReplicas.contains(replica)) {
            seenReplicas.add(replica);
          }
        }
      }
      List<Node> seenMasters = new ArrayList<>();
      for (int i = 0; i < masterAddresses.size(); i++) {
        seenMasters.add(new Node(masterAddresses.get(i), ranges.get(i), null, null));
      }
      String slotMap = seenMasters.toString();
      if (lastSlotMap != null && !lastSlotMap.equals(slotMap)) {
        slotMapChanges++;
      }
      lastSlotMap = slotMap;
      observed(seenMasters, seenReplicas);
      return null;
    });
  }

  /** Records what was read; a master that was not one before means a failover happened. */
  private void observed(List<Node> seenMasters, List<Node> seenReplicas) {
    Set<String> now = new HashSet<>();
    seenMasters.forEach(m -> now.add(m.address()));
    if (lastMasters != null && !now.isEmpty() && !lastMasters.containsAll(now)) {
      failovers++;
      lastFailoverAt = Instant.now().toString();
      log.warn("Redis failover: the master{} now {} (was {})", now.size() > 1 ? "s are" : " is", now, lastMasters);
    }
    if (!now.isEmpty()) {
      lastMasters = now;
    }
    masters = List.copyOf(seenMasters);
    replicas = List.copyOf(seenReplicas);
    observedAt = Instant.now().toString();
  }

  /** A field of a sentinel's reply entry (a map in RESP3, a flat list of names and values in RESP2). */
  private static String field(Response entry, String name) {
    Response value = entry.containsKey(name) ? entry.get(name) : null;
    return value == null ? null : value.toString();
  }

  private static String address(String url) {
    URI uri = URI.create(url.trim());
    return uri.getHost() + ":" + (uri.getPort() < 0 ? 6379 : uri.getPort());
  }
}
