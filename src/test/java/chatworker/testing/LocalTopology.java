package chatworker.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A replicated Redis on loopback for people rather than tests ({@link TopologyMain}): the fixture
 * {@link SentinelTopology} or {@link ClusterTopology}, the settings a node needs to reach it, its
 * processes described for a terminal, and what a supervisor needs to start a killed data node again.
 * Blocking, like the fixtures.
 */
sealed interface LocalTopology extends AutoCloseable {

  /** The settings key that holds how many replicas each master has. */
  String REPLICAS = "REPLICAS";

  /** Starts the topology {@code mode} names: {@code sentinel} or {@code cluster}. */
  static LocalTopology start(String mode) {
    return switch (mode) {
      case "sentinel" -> new Sentinel(SentinelTopology.start());
      case "cluster" -> new Cluster(ClusterTopology.start());
      default -> throw new IllegalArgumentException("Not a replicated topology: " + mode);
    };
  }

  /**
   * The nodes' settings as environment variables ({@code CHATWORKER_REDIS_MODE}, {@code _URL}, and
   * {@code _MASTER_NAME} for Sentinel), and {@link #REPLICAS}: the replicas of each master, the highest
   * useful {@code CHATWORKER_REDIS_DURABILITY_REPLICAS}.
   */
  Map<String, String> settings();

  /** What runs where (role, address, pid, log) and, with redis-cli, how to fail over on command. */
  List<String> describe(boolean redisCli);

  /** Every data node, running or not. */
  List<RedisServer> dataNodes();

  /** Whether {@code down}, a data node that is not running, is no master any more (another took over). */
  boolean replaced(RedisServer down);

  /** Starts {@code down} again as a replica; returns once the topology has taken it back. */
  void restart(RedisServer down);

  @Override
  void close();

  private static String row(String role, RedisServer node, String more) {
    return String.format("  %-8s %s:%d  pid %d  log %s%s", role, node.host(), node.port(), node.pid(),
        node.dataDir().resolve(RedisCommandLine.LOG_FILE), more);
  }

  /** A master and two replicas, monitored by three sentinels; the nodes get the sentinels' URLs. */
  record Sentinel(SentinelTopology topology) implements LocalTopology {

    @Override
    public Map<String, String> settings() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("CHATWORKER_REDIS_MODE", "sentinel");
      env.put("CHATWORKER_REDIS_URL", topology.sentinelUrls());
      env.put("CHATWORKER_REDIS_MASTER_NAME", SentinelTopology.MASTER_NAME);
      env.put(REPLICAS, Integer.toString(topology.replicas().size()));
      return env;
    }

    @Override
    public List<String> describe(boolean redisCli) {
      List<String> lines = new ArrayList<>();
      String[] sentinels = topology.sentinelUrls().replace("redis://", "").split(",");
      lines.add("a master and " + topology.replicas().size() + " replicas, monitored as "
          + SentinelTopology.MASTER_NAME + " by " + sentinels.length + " sentinels (quorum 2, down after 1 s):");
      lines.add(row("master", topology.master(), ""));
      topology.replicas().forEach(replica -> lines.add(row("replica", replica, "")));
      for (String sentinel : sentinels) {
        lines.add(String.format("  %-8s %s", "sentinel", sentinel));
      }
      if (redisCli) {
        String port = sentinels[0].substring(sentinels[0].lastIndexOf(':') + 1);
        lines.add("fail over on command: redis-cli -p " + port + " SENTINEL FAILOVER " + SentinelTopology.MASTER_NAME);
        lines.add("the master now:       redis-cli -p " + port + " SENTINEL GET-MASTER-ADDR-BY-NAME "
            + SentinelTopology.MASTER_NAME);
      }
      return lines;
    }

    @Override
    public List<RedisServer> dataNodes() {
      return topology.dataNodes();
    }

    @Override
    public boolean replaced(RedisServer down) {
      return topology.master() != down;
    }

    @Override
    public void restart(RedisServer down) {
      topology.restart(down);
    }

    @Override
    public void close() {
      topology.close();
    }
  }

  /** Three masters with a replica each; the nodes get every node's URL as seeds. */
  record Cluster(ClusterTopology topology) implements LocalTopology {

    @Override
    public Map<String, String> settings() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("CHATWORKER_REDIS_MODE", "cluster");
      env.put("CHATWORKER_REDIS_URL", topology.seedUrls());
      env.put(REPLICAS, Integer.toString(topology.replicas().size() / topology.masters().size()));
      return env;
    }

    @Override
    public List<String> describe(boolean redisCli) {
      List<RedisServer> masters = topology.masters();
      List<RedisServer> replicas = topology.replicas();
      List<String> lines = new ArrayList<>();
      lines.add(masters.size() + " masters with " + replicas.size() / masters.size()
          + " replica each (node timeout 1 s):");
      for (RedisServer master : masters) {
        String slots = ClusterView.parse(master.command("CLUSTER", "NODES")).byPort(master.port())
            .map(node -> "  (slots " + String.join(" ", node.slots()) + ")").orElse("");
        lines.add(row("master", master, slots));
      }
      for (RedisServer replica : replicas) {
        String of = masters.stream().filter(replica::isReplicaOf).findFirst()
            .map(master -> "  (of " + master.port() + ")").orElse("");
        lines.add(row("replica", replica, of));
      }
      if (redisCli) {
        lines.add("fail over on command: redis-cli -p " + replicas.get(0).port()
            + " CLUSTER FAILOVER   (on a replica: it takes over its master's slots)");
      }
      return lines;
    }

    @Override
    public List<RedisServer> dataNodes() {
      return topology.nodes();
    }

    @Override
    public boolean replaced(RedisServer down) {
      return !topology.masters().contains(down);
    }

    @Override
    public void restart(RedisServer down) {
      topology.restart(down);
    }

    @Override
    public void close() {
      topology.close();
    }
  }
}
