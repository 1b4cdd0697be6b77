package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.ClusterTopology;
import chatworker.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Generation jobs in flight through Redis Cluster faults (three masters with a replica each), with
 * {@code durability.replicas} 1: 24 chats, spread over the masters by their hash tags, run start →
 * commit cycles as the pipeline does ({@link JobCycles}) while a master dies, fails over or hands its
 * slots to another. Afterwards every acknowledged job is on the master that serves its chat now, no
 * failure was REFUSED (no CROSSSLOT, READONLY or NOSCRIPT leaking), no chat stays locked, and a lookup
 * by the bare job id, whose index lives on other slots than the chat, finds every acknowledged job.
 */
class ClusterJobsTest {

  private static final int CHATS = 24;

  private static StoreHarness open(ClusterTopology cluster) {
    return new StoreHarness(StoreHarness.settings(cluster.seedUrls())
        .put("mode", "cluster")
        .put("durability", new JsonObject().put("replicas", 1).put("waitTimeoutMs", 300)), 3_600);
  }

  /**
   * Verifies kill -9 of the master serving most of the chats. Its replica is promoted, but has no
   * replica of its own until the killed node returns, so with durability 1 nothing on its chats may be
   * acknowledged meanwhile (each commit fails as not replicated), while the other masters' chats go on;
   * once the killed node is back as the replica, its chats' jobs are acknowledged again. Nothing
   * acknowledged is lost, on its chats or the others.
   */
  @Test
  @DisplayName("Master killed, restarted as a replica: its chats wait for a replica, the others go on; "
      + "nothing acknowledged is lost")
  void masterKilled() {
    try (ClusterTopology cluster = ClusterTopology.start(); StoreHarness store = open(cluster)) {
      JobCycles cycles = JobCycles.start(store, JobCycles.newChats(store, CHATS));
      RedisServer victim = busiestMaster(cluster, cycles.chats());
      List<String> itsChats = chatsOn(cluster, victim, cycles.chats());
      List<String> otherChats = cycles.chats().stream().filter(chat -> !itsChats.contains(chat)).toList();
      cycles.awaitAcknowledged(300, "before the kill");
      cycles.mark("kill");
      long othersFailedBefore = cycles.failed(otherChats);
      cluster.killMaster(victim);
      cycles.mark("failed-over");
      long othersFailedUntilFailover = cycles.failed(otherChats) - othersFailedBefore;
      long itsAcksAlone = cycles.acknowledged(itsChats);
      cycles.awaitAcknowledged(otherChats, 300, "on the other masters' chats");
      long itsAcksWithoutReplica = cycles.acknowledged(itsChats) - itsAcksAlone;
      long othersFailedAfterFailover = cycles.failed(otherChats) - othersFailedBefore - othersFailedUntilFailover;
      cycles.mark("restart");
      cluster.restart(victim);
      cycles.mark("restarted");
      cycles.awaitAcknowledged(itsChats, 200, "on the killed master's chats once it is back as a replica");
      cycles.stop();
      System.out.println(cycles.report("cluster-master-kill").put("chatsOnVictim", itsChats.size())
          .put("acknowledgedOnVictimChatsWithoutReplica", itsAcksWithoutReplica)
          .put("otherChatsFailedCallsUntilFailover", othersFailedUntilFailover)
          .put("otherChatsFailedCallsAfterFailover", othersFailedAfterFailover).encode());

      assertThat(itsAcksWithoutReplica).as("jobs acknowledged on a master without a replica").isZero();
      cycles.assertConsistent(chat -> cluster.masterOf(Keys.chat(chat)));
    }
  }

  /**
   * Verifies that CLUSTER FAILOVER of the master serving most of the chats costs its jobs only
   * retryable failures: they go on on the promoted replica, which had none of the scripts before (the
   * NOSCRIPT → EVAL fallback loads them there), and nothing acknowledged is lost.
   */
  @Test
  @DisplayName("Commanded failover of a master: its chats' jobs go on on the promoted replica")
  void commandedFailover() {
    try (ClusterTopology cluster = ClusterTopology.start(); StoreHarness store = open(cluster)) {
      JobCycles cycles = JobCycles.start(store, JobCycles.newChats(store, CHATS));
      RedisServer master = busiestMaster(cluster, cycles.chats());
      List<String> itsChats = chatsOn(cluster, master, cycles.chats());
      cycles.awaitAcknowledged(300, "before the failover");
      for (RedisServer replica : cluster.replicas()) {
        assertThat(JobCycles.jobScriptsCached(replica)).as("job scripts cached on the replica at port "
            + replica.port()).containsOnly("0");
      }
      cycles.mark("failover");
      RedisServer promoted = cluster.failover(master);
      cycles.mark("failed-over");
      cycles.awaitAcknowledged(itsChats, 300, "on its chats on the promoted replica");
      cycles.stop();
      System.out.println(cycles.report("cluster-commanded-failover").put("chatsOnVictim", itsChats.size()).encode());

      assertThat(itsChats).allSatisfy(chat -> assertThat(cluster.masterOf(Keys.chat(chat))).isSameAs(promoted));
      assertThat(JobCycles.jobScriptsCached(promoted)).as("job scripts on the promoted master (loaded by EVAL)")
          .containsOnly("1");
      cycles.assertConsistent(chat -> cluster.masterOf(Keys.chat(chat)));
    }
  }

  /**
   * Verifies that moving the slots of live chats to other masters under load (MIGRATE of their keys,
   * then SETSLOT NODE, as a reshard does) costs jobs only retryable failures: the chats' keys share
   * their hash tag, so each chat moves whole, and its jobs follow the redirections. Every chat ends on
   * its new master with nothing acknowledged lost.
   */
  @Test
  @DisplayName("Slots of live chats moved between masters under load: jobs follow; nothing acknowledged is lost")
  void slotsMovedUnderLoad() {
    try (ClusterTopology cluster = ClusterTopology.start(); StoreHarness store = open(cluster)) {
      JobCycles cycles = JobCycles.start(store, JobCycles.newChats(store, CHATS));
      List<RedisServer> masters = cluster.masters();
      // each chat to the next master of the list: every master gives and takes
      Map<String, RedisServer> destination = new HashMap<>();
      for (String chat : cycles.chats()) {
        destination.put(chat, masters.get((masters.indexOf(cluster.masterOf(Keys.chat(chat))) + 1) % masters.size()));
      }
      cycles.awaitAcknowledged(300, "before the moves");
      cycles.mark("moves");
      destination.forEach((chat, to) -> cluster.moveSlotsOf(List.of(Keys.chat(chat)), to));
      cycles.mark("moved");
      cycles.awaitAcknowledged(300, "after the moves");
      cycles.stop();
      System.out.println(cycles.report("cluster-slot-moves").encode());

      assertThat(cycles.chats()).allSatisfy(chat ->
          assertThat(cluster.masterOf(Keys.chat(chat))).as(chat).isSameAs(destination.get(chat)));
      assertThat(store.redis.topology().redirects()).as("MOVED/ASK replies the layer followed").isPositive();
      cycles.assertConsistent(chat -> cluster.masterOf(Keys.chat(chat)));
    }
  }

  /** The master that serves the most of {@code chats}. */
  private static RedisServer busiestMaster(ClusterTopology cluster, List<String> chats) {
    return chats.stream().collect(Collectors.groupingBy(chat -> cluster.masterOf(Keys.chat(chat)),
            Collectors.counting()))
        .entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  private static List<String> chatsOn(ClusterTopology cluster, RedisServer master, List<String> chats) {
    return chats.stream().filter(chat -> cluster.masterOf(Keys.chat(chat)) == master).toList();
  }
}
