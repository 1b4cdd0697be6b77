package chatworker.chaos;

import chatworker.store.Keys;
import chatworker.testing.ClusterTopology;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The faults of a Sentinel or Cluster topology, aimed where the load is: the master holding the most
 * chats that users are working on right now.
 *
 * <ul>
 *   <li>{@code failover}: a commanded failover ({@code SENTINEL FAILOVER}, {@code CLUSTER FAILOVER} on
 *       a replica of that master); healed when the new master is in place.
 *   <li>{@code master-kill}: {@code kill -9} of the master (Sentinel's, or that cluster master); healed
 *       when a replica is promoted; the old master is started again a few seconds later and comes back
 *       as a replica ({@code restartedMs}).
 *   <li>{@code reshard} (cluster): the slots of the live chats on that master move to another master
 *       while the users keep writing them ({@code MIGRATE}, so the nodes meet {@code ASK} and
 *       {@code MOVED}).
 * </ul>
 */
final class TopologyFaults {

  private final RedisUnderTest redis;
  private final Ledger ledger;
  private final long downMs;
  /** How many live chats' slots a reshard moves at most. */
  private final int reshardChats;

  TopologyFaults(RedisUnderTest redis, Ledger ledger, ChaosOptions options) {
    this.redis = redis;
    this.ledger = ledger;
    this.downMs = options.longFaultSeconds() * 1000L;
    this.reshardChats = options.shortRun() ? 20 : 60;
  }

  void inject(String fault, JsonObject record) {
    if (redis instanceof RedisUnderTest.Sentinel s) {
      sentinel(s.topology(), fault, record);
    } else if (redis instanceof RedisUnderTest.Cluster c) {
      cluster(c.topology(), fault, record);
    } else {
      throw new IllegalArgumentException(fault + " needs --redis sentinel or cluster");
    }
  }

  private void sentinel(SentinelTopology topology, String fault, JsonObject record) {
    RedisServer old = topology.master();
    record.put("oldMaster", old.port());
    switch (fault) {
      case "failover" -> {
        RedisServer now = topology.failover();
        record.put("newMaster", now.port()).put("healMs", ledger.nowMs());
      }
      case "master-kill" -> {
        RedisServer killed = topology.killMaster();
        record.put("newMaster", topology.master().port()).put("healMs", ledger.nowMs());
        NodeFleet.sleep(downMs);
        topology.restart(killed);
        record.put("restartedMs", ledger.nowMs());
      }
      default -> throw new IllegalArgumentException(fault + " is not a sentinel fault");
    }
    // The sentinels may change their mind after the fixture saw them agree (a second election).
    record.put("masterAtEnd", topology.master().port());
  }

  private void cluster(ClusterTopology topology, String fault, JsonObject record) {
    Map<Integer, List<String>> live = liveChatKeysByMaster(topology);
    RedisServer target = busiest(topology.masters(), live);
    List<String> targetKeys = live.getOrDefault(target.port(), List.of());
    record.put("oldMaster", target.port()).put("liveChatsOnIt", targetKeys.size());
    switch (fault) {
      case "failover" -> {
        RedisServer now = topology.failover(target);
        record.put("newMaster", now.port()).put("healMs", ledger.nowMs());
      }
      case "master-kill" -> {
        RedisServer now = topology.killMaster(target);
        record.put("newMaster", now.port()).put("healMs", ledger.nowMs());
        NodeFleet.sleep(downMs);
        topology.restart(target);
        record.put("restartedMs", ledger.nowMs());
      }
      case "reshard" -> reshard(topology, target, targetKeys, live, record);
      default -> throw new IllegalArgumentException(fault + " is not a cluster fault");
    }
  }

  /** Moves the slots of (up to {@link #reshardChats}) live chats from {@code from} to the least busy master. */
  private void reshard(ClusterTopology topology, RedisServer from, List<String> keys,
      Map<Integer, List<String>> live, JsonObject record) {
    RedisServer to = topology.masters().stream().filter(m -> m.port() != from.port())
        .min(Comparator.comparingInt(m -> live.getOrDefault(m.port(), List.of()).size()))
        .orElseThrow(() -> new IllegalStateException("a reshard needs two masters"));
    List<String> moving = keys.subList(0, Math.min(keys.size(), reshardChats));
    if (moving.isEmpty()) {
      throw new IllegalStateException("no live chat on master " + from.port() + " to move");
    }
    TreeSet<Integer> slots = new TreeSet<>();
    moving.forEach(k -> slots.add(topology.slotOf(k)));
    topology.moveSlotsOf(moving, to);
    record.put("newMaster", to.port()).put("chatsMoved", moving.size())
        .put("slotsMoved", new JsonArray(new ArrayList<>(slots))).put("healMs", ledger.nowMs());
  }

  /**
   * The chat keys ({@code cw:chat:{chatId}}) of the chats users are working on, by the port of the
   * master that owns them (a port names a server whatever object the fixture hands out for it).
   */
  private Map<Integer, List<String>> liveChatKeysByMaster(ClusterTopology topology) {
    Map<Integer, List<String>> result = new HashMap<>();
    for (String chatId : List.copyOf(ledger.liveChats)) {
      String key = Keys.chat(chatId);
      result.computeIfAbsent(topology.masterOf(key).port(), m -> new ArrayList<>()).add(key);
    }
    return result;
  }

  private static RedisServer busiest(List<RedisServer> masters, Map<Integer, List<String>> live) {
    return masters.stream().max(Comparator.comparingInt(m -> live.getOrDefault(m.port(), List.of()).size()))
        .orElseThrow(() -> new IllegalStateException("the cluster has no master"));
  }
}
