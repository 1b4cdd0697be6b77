package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import chatworker.redis.RedisTopology.Node;
import chatworker.testing.Await;
import chatworker.testing.CapturedLogs;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The layer in sentinel mode against a deployment on TLS only: data nodes and sentinels listen on TLS
 * ports alone, with certificates from a private CA ({@code redis.tls.caCertPath}), the replicas sync
 * and the sentinels watch over TLS. Both the layer's held connections and its own sentinel connections
 * (the topology polls and the failover announcements, {@link TopologyWatch}) must trust that CA.
 */
class SentinelTlsTest {

  private static final Duration RECOVERY = Duration.ofSeconds(60);

  @RegisterExtension
  final CapturedLogs logs = new CapturedLogs();

  /**
   * Verifies that with {@code rediss://} sentinel URLs and the private CA the layer reads, writes and
   * writes durably (both replicas confirm); that its own sentinel polls name the master and both
   * replicas, in sync; and that across a commanded failover under durable writes the announcements are
   * heard ({@code +try-failover} fences durable writes, {@code +switch-master} names the new master),
   * {@code topology()} counts the failover and names the new master, writes go on and none acknowledged
   * is missing on the new master.
   */
  @Test
  @DisplayName("rediss:// sentinels with a private CA: durable writes, the sentinels' view, a failover heard and followed")
  void tlsSentinelsServeTheLayerAndItsTopologyWatchThroughAFailover() {
    assumeTrue(RedisServer.tlsSupported(), "this redis-server binary has no TLS (or no openssl): "
        + RedisServer.binaryDescription());
    try (SentinelTopology topology = SentinelTopology.startWithTls();
        LayerHarness layer = new LayerHarness(sentinelMode(topology))) {
      assertThat(topology.sentinelUrls()).startsWith("rediss://").doesNotContain("redis://");
      RedisServer first = topology.master();
      AcknowledgedWrites.writeReadAndReplicate(layer, topology.replicas());

      // The sentinels' view reaches the layer only through its own (TLS) sentinel connections.
      List<String> replicas = topology.replicas().stream().map(SentinelTlsTest::address).sorted().toList();
      Await.until(() -> mastersNamed(layer).equals(List.of(address(first)))
              && replicasInSync(layer, address(first)).equals(replicas), RECOVERY,
          "the layer's sentinel polls to name the master and both replicas in sync");

      RedisServer promoted = AcknowledgedWrites.acrossFailover(layer, "sentinel-tls-failover", RECOVERY,
          topology::failover);
      assertThat(logs.containing("Redis failover under way")).as("+try-failover heard (durable writes fenced)")
          .isNotEmpty();
      assertThat(logs.containing("Redis sentinels switched the master from " + address(first) + " to "
          + address(promoted))).as("+switch-master heard").isNotEmpty();
      Await.until(() -> mastersNamed(layer).equals(List.of(address(promoted)))
          && layer.redis.topology().failovers() >= 1, RECOVERY, "topology() to count the failover to the new master");
    }
  }

  private static RedisSettings sentinelMode(SentinelTopology topology) {
    return RedisSettings.fromJson(LayerHarness.fastJson(topology.sentinelUrls())
        .put("mode", "sentinel").put("masterName", SentinelTopology.MASTER_NAME)
        .put("tls", new JsonObject().put("caCertPath", topology.caCertPath().toString()))
        .put("durability", new JsonObject().put("replicas", 2).put("waitTimeoutMs", 150)));
  }

  private static List<String> mastersNamed(LayerHarness layer) {
    return layer.redis.topology().masters().stream().map(Node::address).toList();
  }

  /** The replicas {@code topology()} names as following {@code master} with their link up, sorted. */
  private static List<String> replicasInSync(LayerHarness layer, String master) {
    return layer.redis.topology().replicas().stream()
        .filter(r -> master.equals(r.master()) && Boolean.TRUE.equals(r.linkUp()))
        .map(Node::address).sorted().toList();
  }

  private static String address(RedisServer node) {
    return RedisServer.HOST + ":" + node.port();
  }
}
