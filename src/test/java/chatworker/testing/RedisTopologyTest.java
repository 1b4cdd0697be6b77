package chatworker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tests of the replicated-topology fixtures {@link SentinelTopology}. */
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
      redis.pause(frozen);
      master.command("SET", "while", "paused");
      assertThat(Integer.parseInt(master.command("WAIT", "2", "300")))
          .as("replicas acked while one is paused").isLessThan(2);
      redis.resume(frozen);
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
}
