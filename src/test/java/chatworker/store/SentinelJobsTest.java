package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Generation jobs in flight through Sentinel failovers (a master, two replicas, three sentinels), with
 * {@code durability.replicas} 1 (2 where the master is killed): 24 chats run start → commit cycles as the pipeline does
 * ({@link JobCycles}) while the master changes, and afterwards every acknowledged job is on the new
 * master, no failure was REFUSED and no chat stays locked.
 */
class SentinelJobsTest {

  private static final int CHATS = 24;
  private static StoreHarness open(SentinelTopology topology, int durabilityReplicas) {
    return new StoreHarness(StoreHarness.settings(topology.sentinelUrls())
        .put("mode", "sentinel").put("masterName", SentinelTopology.MASTER_NAME)
        .put("durability", new JsonObject().put("replicas", durabilityReplicas).put("waitTimeoutMs", 300)), 3_600);
  }

  /**
   * Verifies that jobs go on through SENTINEL FAILOVER: the promoted replica has none of the job
   * scripts before (Redis does not replicate its script cache), jobs succeed on it all the same (the
   * NOSCRIPT → EVAL fallback, which also loads them there), and nothing acknowledged is lost.
   */
  @Test
  @DisplayName("Commanded failover: jobs go on on the promoted master, which lacked the scripts")
  void commandedFailover() {
    try (SentinelTopology topology = SentinelTopology.start(); StoreHarness store = open(topology, 1)) {
      JobCycles cycles = JobCycles.start(store, JobCycles.newChats(store, CHATS));
      cycles.awaitAcknowledged(300, "before the failover");
      for (RedisServer replica : topology.replicas()) {
        assertThat(JobCycles.jobScriptsCached(replica)).as("job scripts cached on the replica at port " + replica.port())
            .containsOnly("0");
      }
      cycles.mark("failover");
      RedisServer promoted = topology.failover();
      cycles.mark("failed-over");
      cycles.awaitAcknowledged(500, "on the promoted master");
      cycles.stop();
      System.out.println(cycles.report("sentinel-commanded-failover").encode());

      assertThat(JobCycles.jobScriptsCached(promoted)).as("job scripts on the promoted master (loaded by EVAL)")
          .containsOnly("1");
      cycles.assertConsistent(chat -> topology.master());
    }
  }

  /**
   * Verifies that jobs go on after kill -9 of the master once the sentinels promoted a replica and the
   * killed node is back as a replica; nothing acknowledged before or after is lost. Durability 2 (every
   * replica): with 1, Sentinel may promote the replica that had not confirmed (SentinelTest#masterKilled).
   */
  @Test
  @DisplayName("Master killed, restarted as a replica (durability 2): jobs go on; nothing acknowledged is lost")
  void masterKilled() {
    try (SentinelTopology topology = SentinelTopology.start(); StoreHarness store = open(topology, 2)) {
      JobCycles cycles = JobCycles.start(store, JobCycles.newChats(store, CHATS));
      cycles.awaitAcknowledged(300, "before the kill");
      cycles.mark("kill");
      RedisServer killed = topology.killMaster();
      cycles.mark("failed-over");
      cycles.mark("restart");
      topology.restart(killed);
      cycles.mark("restarted");
      cycles.awaitAcknowledged(300, "with the old master back as a replica");
      cycles.stop();
      System.out.println(cycles.report("sentinel-master-kill").encode());

      cycles.assertConsistent(chat -> topology.master());
    }
  }
}
