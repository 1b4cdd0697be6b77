package chatworker.redis;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisFailure.Kind;
import chatworker.redis.RedisTopology.Node;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import chatworker.time.Deadline;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The layer in sentinel mode (a master, two replicas, three sentinels), with durable writes in flight
 * through each fault: {@code redis.durability.replicas} 1, so an acknowledged write survives the loss
 * of the master.
 */
class SentinelTest {

  private static final Duration RECOVERY = Duration.ofSeconds(60);

  private static RedisSettings sentinelMode(SentinelTopology topology, int durabilityReplicas) {
    return RedisSettings.fromJson(LayerHarness.fastJson(topology.sentinelUrls())
        .put("mode", "sentinel").put("masterName", SentinelTopology.MASTER_NAME)
        .put("durability", new JsonObject().put("replicas", durabilityReplicas).put("waitTimeoutMs", 150)));
  }

  /**
   * Verifies that a commanded failover costs durable writes only retryable failures for a while: they
   * succeed again on the new master, every acknowledged key is on it, no command error leaks (no
   * READONLY as a failure of the write) and the layer reports the new master and the failover.
   */
  @Test
  @DisplayName("Commanded failover: writes follow the new master; nothing acknowledged is missing")
  void commandedFailover() {
    try (SentinelTopology topology = SentinelTopology.start();
        LayerHarness layer = new LayerHarness(sentinelMode(topology, 1))) {
      AcknowledgedWrites writes = AcknowledgedWrites.start(layer, 32);
      Await.until(() -> writes.load.successes() >= 500, RECOVERY, "500 durable writes before the failover");
      RedisServer promoted = topology.failover();
      long before = writes.load.successes();
      Await.until(() -> writes.load.successes() >= before + 500, RECOVERY, "500 durable writes on the new master");
      await(writes.load.stop());
      report("commanded-failover", writes);

      assertThat(writes.load.failures(Kind.COMMAND_ERROR)).as("command errors (READONLY must not leak)").isZero();
      assertThat(writes.load.failures(Kind.QUEUE_FULL)).isZero();
      assertThat(writes.missing(key -> promoted)).as("acknowledged writes missing on the new master").isZero();
      Await.until(() -> layer.redis.topology().failovers() >= 1, RECOVERY, "the layer to see the failover");
      assertThat(layer.redis.topology().masters()).extracting(Node::address)
          .containsExactly(RedisServer.HOST + ":" + promoted.port());
    }
  }

  /**
   * Verifies that after kill -9 of the master, with durability 2 (every replica), no write is
   * acknowledged while the promoted master has one replica left, writes succeed again once the killed
   * node is back as a replica, and every write acknowledged before or after is on the new master.
   *
   * <p>Durability 2 because Sentinel promotes the replica with the highest offset it last read, which
   * can be stale: with durability 1 a CI run lost 224 acknowledged writes when the replica that had
   * confirmed them was not the one promoted (docs/REDIS.md, "What it does not cover").
   */
  @Test
  @DisplayName("Master killed (durability 2): writes resume once two replicas confirm; nothing acknowledged is missing")
  void masterKilled() {
    try (SentinelTopology topology = SentinelTopology.start();
        LayerHarness layer = new LayerHarness(sentinelMode(topology, 2))) {
      AcknowledgedWrites writes = AcknowledgedWrites.start(layer, 32);
      Await.until(() -> writes.load.successes() >= 500, RECOVERY, "500 durable writes before the kill");
      RedisServer killed = topology.killMaster();
      RedisServer promoted = topology.master();
      long refused = writes.load.failures(Kind.NOT_REPLICATED);
      Await.until(() -> writes.load.failures(Kind.NOT_REPLICATED) >= refused + 20, RECOVERY,
          "20 writes refused with one replica left");
      long acknowledgedWithOneReplica = writes.load.successes();
      long refusedNow = writes.load.failures(Kind.NOT_REPLICATED);
      Await.until(() -> writes.load.failures(Kind.NOT_REPLICATED) >= refusedNow + 20, RECOVERY, "20 more refused");
      assertThat(writes.load.successes()).as("writes acknowledged with one replica of two")
          .isEqualTo(acknowledgedWithOneReplica);
      topology.restart(killed);
      long afterRestart = writes.load.successes();
      Await.until(() -> writes.load.successes() >= afterRestart + 500, RECOVERY, "writes with the old master back");
      await(writes.load.stop());
      report("master-kill", writes);

      assertThat(writes.load.failures(Kind.COMMAND_ERROR)).isZero();
      assertThat(writes.missing(key -> promoted)).as("acknowledged writes missing on the new master").isZero();
    }
  }

  /**
   * Verifies durability's refusal: with both replicas frozen (SIGSTOP) a durable write is answered
   * NOT_REPLICATED and none is acknowledged while they stay frozen, reads go on, and once they are back
   * durable writes succeed again and every acknowledged key is on both replicas.
   */
  @Test
  @DisplayName("Replicas paused: durable writes get NOT_REPLICATED, reads go on, nothing unreplicated is acknowledged")
  void replicasPaused() {
    try (SentinelTopology topology = SentinelTopology.start();
        LayerHarness layer = new LayerHarness(sentinelMode(topology, 1))) {
      AcknowledgedWrites writes = AcknowledgedWrites.start(layer, 16);
      CallerLoad reads = CallerLoad.start(layer.vertx, 8, i -> layer.redis.send(
          Request.cmd(Command.GET).arg("ack:1"), true, Deadline.inMillis(2_000)));
      Await.until(() -> writes.load.successes() >= 300, RECOVERY, "300 durable writes before the pause");
      topology.replicas().forEach(RedisServer::pause);
      try {
        Await.until(() -> writes.load.failures(Kind.NOT_REPLICATED) > 0, RECOVERY, "a write refused as not replicated");
        // Writes covered by a WAIT sent before the pause may still end well for one WAIT timeout.
        Await.until(() -> writes.load.failures(Kind.NOT_REPLICATED) >= 20, RECOVERY, "20 writes refused");
        long acknowledgedWhilePaused = writes.load.successes();
        long readsWhilePaused = reads.successes();
        long refused = writes.load.failures(Kind.NOT_REPLICATED);
        Await.until(() -> writes.load.failures(Kind.NOT_REPLICATED) >= refused + 20, RECOVERY, "20 more refused");
        assertThat(writes.load.successes()).as("writes acknowledged with both replicas frozen")
            .isEqualTo(acknowledgedWhilePaused);
        Await.until(() -> reads.successes() > readsWhilePaused + 100, RECOVERY, "reads to go on during the pause");
      } finally {
        topology.replicas().forEach(RedisServer::resume);
      }
      long before = writes.load.successes();
      Await.until(() -> writes.load.successes() >= before + 200, RECOVERY, "durable writes once the replicas are back");
      await(writes.load.stop());
      await(reads.stop());

      assertThat(layer.redis.topology().waitShortfalls()).isPositive();
      assertThat(layer.redis.health().breaker()).isEqualTo("CLOSED");
      for (RedisServer replica : topology.replicas()) {
        Await.until(() -> writes.missing(key -> replica) == 0, RECOVERY,
            "every acknowledged key on the replica at port " + replica.port());
      }
    }
  }

  private static void report(String fault, AcknowledgedWrites writes) {
    System.out.printf("{\"test\":\"sentinel-%s\",\"acknowledged\":%d,\"failures\":\"%s\"}%n",
        fault, writes.acknowledged(), writes.load.failuresByKind());
  }
}
