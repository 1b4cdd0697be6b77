package chatworker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tests of the replicated-topology fixtures {@link SentinelTopology} and {@link ClusterTopology}. */
@Timeout(120)
class RedisTopologyTest {

  @BeforeAll
  static void logBinary() {
    System.out.println("redis-server under test: " + RedisServer.binaryDescription());
  }

  /**
   * Verifies that a write on the Sentinel master reaches both replicas (a paused one once resumed), and
   * that a commanded failover leaves a new master that takes writes while the old one, now a replica,
   * answers READONLY.
   */
  @Test
  @DisplayName("Sentinel: writes replicate, also after a pause; after a commanded failover the new master"
      + " takes writes and the old one is read-only")
  void sentinelReplicatesAndFailsOverOnCommand() {
    try (SentinelTopology redis = SentinelTopology.start()) {
      RedisServer master = redis.master();
      assertThat(redis.sentinelUrls().split(","))
          .hasSize(3).allMatch(url -> url.matches("redis://127\\.0\\.0\\.1:\\d+"));
      assertThat(redis.replicas()).hasSize(2).doesNotContain(master);
      assertThat(redis.dataNodes()).hasSize(3).contains(master);

      master.command("SET", "greeting", "hello");
      assertThat(master.command("WAIT", "2", "5000")).isEqualTo("2");
      for (RedisServer replica : redis.replicas()) {
        assertThat(replica.command("GET", "greeting")).isEqualTo("hello");
      }
      RedisServer frozen = redis.replicas().get(0);
      frozen.pause();
      master.command("SET", "while", "paused");
      assertThat(Integer.parseInt(master.command("WAIT", "2", "300")))
          .as("replicas acked while one is paused").isLessThan(2);
      frozen.resume();
      assertThat(master.command("WAIT", "2", "5000")).isEqualTo("2");

      RedisServer promoted = redis.failover();

      assertThat(promoted).isNotSameAs(master).isSameAs(redis.master());
      assertThat(promoted.command("SET", "after", "failover")).isEqualTo("OK");
      assertThat(promoted.command("GET", "greeting")).isEqualTo("hello");
      assertThatThrownBy(() -> master.command("SET", "stale", "write")).hasMessageStartingWith("READONLY");
    }
  }

  /**
   * Verifies that killing the Sentinel master promotes a replica that kept the acknowledged data, and
   * that the killed node, restarted, comes back as a replica of the new master.
   */
  @Test
  @DisplayName("Sentinel: a killed master is replaced by a replica and returns as a replica")
  void sentinelReplacesAKilledMasterWhichReturnsAsReplica() {
    try (SentinelTopology redis = SentinelTopology.start()) {
      redis.master().command("SET", "before", "kill");
      assertThat(redis.master().command("WAIT", "2", "5000")).isEqualTo("2");

      RedisServer killed = redis.killMaster();

      RedisServer promoted = redis.master();
      assertThat(killed.isRunning()).isFalse();
      assertThat(promoted).isNotSameAs(killed);
      assertThat(promoted.command("GET", "before")).isEqualTo("kill");
      promoted.command("SET", "while", "down");

      redis.restart(killed);

      assertThat(redis.master()).isSameAs(promoted);
      assertThat(killed.isReplicaOf(promoted)).isTrue();
      assertThat(promoted.command("WAIT", "2", "5000")).isEqualTo("2");
      assertThat(killed.command("GET", "while")).isEqualTo("down");
    }
  }

  /**
   * Verifies that keys land on the master of their slot (the others redirect with MOVED), that a
   * commanded failover and a killed master each promote the replica with the data, and that the killed
   * node returns as a replica.
   */
  @Test
  @DisplayName("Cluster: keys land on their slot's master; failover and kill promote the replica;"
      + " the killed node returns")
  void clusterRoutesKeysAndPromotesReplicas() {
    try (ClusterTopology cluster = ClusterTopology.start()) {
      assertThat(cluster.nodes()).hasSize(6);
      assertThat(cluster.masters()).hasSize(3);
      assertThat(cluster.replicas()).hasSize(3).doesNotContainAnyElementsOf(cluster.masters());
      assertThat(cluster.seedUrls().split(","))
          .hasSize(6).allMatch(url -> url.matches("redis://127\\.0\\.0\\.1:\\d+"));
      // "a", "b" and "c" hash to slots 15495, 3300 and 7365: one on each master.
      assertThat(List.of("a", "b", "c")).map(cluster::masterOf)
          .containsExactlyInAnyOrderElementsOf(cluster.masters());
      for (String key : List.of("a", "b", "c")) {
        RedisServer master = cluster.masterOf(key);
        assertThat(master.command("SET", key, "v-" + key)).isEqualTo("OK");
        assertThat(master.command("WAIT", "1", "5000")).isEqualTo("1");
        RedisServer other = cluster.masters().stream().filter(m -> m != master).findFirst().orElseThrow();
        assertThatThrownBy(() -> other.command("GET", key))
            .hasMessage("MOVED " + cluster.slotOf(key) + " 127.0.0.1:" + master.port());
      }

      RedisServer oldMaster = cluster.masterOf("b");
      RedisServer promoted = cluster.failover(oldMaster);

      assertThat(cluster.masterOf("b")).isSameAs(promoted).isNotSameAs(oldMaster);
      assertThat(promoted.command("GET", "b")).isEqualTo("v-b");
      assertThat(cluster.replicas()).contains(oldMaster);
      assertThatThrownBy(() -> oldMaster.command("GET", "b")).hasMessageStartingWith("MOVED");

      RedisServer killed = cluster.masterOf("a");
      RedisServer successor = cluster.killMaster(killed);

      assertThat(killed.isRunning()).isFalse();
      assertThat(cluster.masterOf("a")).isSameAs(successor).isNotSameAs(killed);
      assertThat(successor.command("GET", "a")).isEqualTo("v-a");

      cluster.restart(killed);

      assertThat(cluster.replicas()).contains(killed);
      assertThat(killed.isReplicaOf(successor)).isTrue();
    }
  }

  /**
   * Verifies that moving a slot takes all its keys (more than one MIGRATE batch) to the target, which
   * serves them, while the source redirects with MOVED.
   */
  @Test
  @DisplayName("Cluster: moving a slot moves its keys; the source answers MOVED")
  void clusterMovesASlotWithItsKeys() {
    try (ClusterTopology cluster = ClusterTopology.start()) {
      String key = "cw:chat:{42}";
      int slot = cluster.slotOf(key);
      RedisServer source = cluster.masterOf(key);
      RedisServer target = cluster.masters().stream().filter(m -> m != source).findFirst().orElseThrow();
      source.command("SET", key, "chat");
      for (int i = 0; i < 250; i++) {
        source.command("SET", "cw:chat:{42}:" + i, Integer.toString(i));
      }

      cluster.moveSlotsOf(List.of(key, "cw:chat:{42}:0"), target);

      assertThat(cluster.masterOf(key)).isSameAs(target);
      assertThat(target.command("GET", key)).isEqualTo("chat");
      assertThat(target.command("CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot))).isEqualTo("251");
      assertThat(source.command("CLUSTER", "COUNTKEYSINSLOT", Integer.toString(slot))).isEqualTo("0");
      assertThatThrownBy(() -> source.command("GET", key))
          .hasMessage("MOVED " + slot + " 127.0.0.1:" + target.port());
    }
  }
}
