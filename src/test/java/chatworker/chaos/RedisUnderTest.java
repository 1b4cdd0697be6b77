package chatworker.chaos;

import chatworker.testing.ClusterTopology;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisServer;
import chatworker.testing.SentinelTopology;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Redis of a chaos run, whatever its topology: what the nodes are told to connect to, and where
 * the run itself reads and breaks things. Standalone is one server (AOF, fsync always) behind a fault
 * proxy; sentinel is a master, two replicas and three sentinels; cluster is three masters with a
 * replica each. Blocking, like the fixtures: call it from plain threads.
 */
sealed interface RedisUnderTest extends AutoCloseable {

  /** Starts the topology {@code options.redis()} names. */
  static RedisUnderTest start(ChaosOptions options) {
    return switch (options.redis()) {
      case "standalone" -> Standalone.start();
      case "sentinel" -> new Sentinel(SentinelTopology.start());
      case "cluster" -> new Cluster(ClusterTopology.start());
      default -> throw new IllegalArgumentException(options.redis());
    };
  }

  /** {@code standalone}, {@code sentinel} or {@code cluster}, as the node's {@code redis.mode}. */
  String mode();

  /** The node's {@code redis.url}: the proxy, the sentinels, or the cluster's seeds. */
  String url();

  /** The masters as they are now (one for standalone and sentinel). */
  List<RedisServer> masters();

  /** The master that holds {@code key} now: the server, Sentinel's current master, or the slot's owner. */
  RedisServer masterFor(String key);

  /** Every data node (masters and replicas), running or not. */
  List<RedisServer> dataNodes();

  /** For logs: where everything listens. */
  String describe();

  /**
   * Copies each data node's log to {@code out/redis-PORT.log} before {@link #close()} deletes it: when
   * a run fails, what Redis did (promotions, resyncs, slot moves) is there to compare with the nodes'.
   */
  default void saveLogs(Path out) {
    for (RedisServer node : dataNodes()) {
      try {
        Files.writeString(out.resolve("redis-" + node.port() + ".log"), node.logTail(5_000));
      } catch (IOException e) {
        System.err.println("chaos: cannot save the log of Redis " + node.port() + ": " + e);
      }
    }
  }

  /**
   * The node configuration's {@code redis} entries for this topology: mode, URL (list), master name,
   * and how many replicas must confirm a write before it is acknowledged.
   */
  default JsonObject nodeSettings(int durabilityReplicas) {
    JsonObject redis = new JsonObject().put("mode", mode()).put("url", url())
        .put("durability", new JsonObject().put("replicas", durabilityReplicas));
    return this instanceof Sentinel ? redis.put("masterName", SentinelTopology.MASTER_NAME) : redis;
  }

  @Override
  void close();

  /** One redis-server (AOF, fsync always) that the nodes reach only through a fault proxy. */
  record Standalone(RedisServer server, FaultProxy proxy) implements RedisUnderTest {

    static Standalone start() {
      RedisServer server = RedisServer.start(RedisServer.Options.defaults().withAppendOnly(true));
      try {
        return new Standalone(server, FaultProxy.startFor(server));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }

    @Override
    public String mode() {
      return "standalone";
    }

    @Override
    public String url() {
      return proxy.url();
    }

    @Override
    public List<RedisServer> masters() {
      return List.of(server);
    }

    @Override
    public RedisServer masterFor(String key) {
      return server;
    }

    @Override
    public List<RedisServer> dataNodes() {
      return List.of(server);
    }

    @Override
    public String describe() {
      return "redis " + server.url() + " (proxy " + proxy.url() + ")";
    }

    @Override
    public void close() {
      proxy.close();
      server.close();
    }
  }

  /** A master with two replicas, found through three sentinels; the nodes get the sentinels' URLs. */
  record Sentinel(SentinelTopology topology) implements RedisUnderTest {

    @Override
    public String mode() {
      return "sentinel";
    }

    @Override
    public String url() {
      return topology.sentinelUrls();
    }

    @Override
    public List<RedisServer> masters() {
      return List.of(topology.master());
    }

    @Override
    public RedisServer masterFor(String key) {
      return topology.master();
    }

    @Override
    public List<RedisServer> dataNodes() {
      return topology.dataNodes();
    }

    @Override
    public String describe() {
      return "sentinels " + topology.sentinelUrls() + ", master " + topology.master().url() + ", replicas "
          + topology.replicas().stream().map(RedisServer::url).toList();
    }

    @Override
    public void close() {
      topology.close();
    }
  }

  /** Three masters with a replica each; the nodes get every master's URL as seeds. */
  record Cluster(ClusterTopology topology) implements RedisUnderTest {

    @Override
    public String mode() {
      return "cluster";
    }

    @Override
    public String url() {
      return topology.seedUrls();
    }

    @Override
    public List<RedisServer> masters() {
      return topology.masters();
    }

    @Override
    public RedisServer masterFor(String key) {
      return topology.masterOf(key);
    }

    @Override
    public List<RedisServer> dataNodes() {
      return topology.nodes();
    }

    @Override
    public String describe() {
      return "cluster masters " + topology.masters().stream().map(RedisServer::url).toList() + ", replicas "
          + topology.replicas().stream().map(RedisServer::url).toList();
    }

    @Override
    public void close() {
      topology.close();
    }
  }
}
