package chatworker.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import java.util.function.Consumer;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/** Builds the Hazelcast cluster manager from {@link ClusterSettings}: no multicast, loopback by default. */
public final class HazelcastSetup {

  private HazelcastSetup() {}

  /** A cluster manager for a node ({@code liteMember=false}) or a client that holds no data. */
  public static HazelcastClusterManager clusterManager(ClusterSettings settings, boolean liteMember) {
    // Start from Vert.x's own config: it declares the maps and multimaps the event bus needs.
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(settings.name());
    config.setLiteMember(liteMember);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(settings.heartbeatIntervalSeconds()));
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(settings.maxNoHeartbeatSeconds()));
    // Members are listed explicitly: no reason to wait 5 s for others to show up before joining.
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.addListenerConfig(new ListenerConfig(new MembershipLogger()));
    NetworkConfig network = config.getNetworkConfig();
    if (liteMember) {
      // A client takes any free port from the configured one up; nodes have fixed, announced ports.
      network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(100);
    } else {
      network.setPort(settings.port()).setPortAutoIncrement(false);
      network.setPublicAddress(settings.host() + ":" + settings.port());
    }
    network.getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(settings.host()));
    config.setProperty("hazelcast.socket.bind.any", "false");
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members().isEmpty()
        ? java.util.List.of(settings.host() + ":" + settings.port())
        : settings.members());
    return new HazelcastClusterManager(config);
  }

  /**
   * Calls {@code listener} with the Vert.x node id of every member that leaves the cluster from now on
   * (on a Hazelcast event thread), through Hazelcast's own listener: Vert.x holds its cluster manager's
   * single NodeListener slot for itself.
   */
  public static void onMemberLeft(HazelcastClusterManager manager, Consumer<String> listener) {
    manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String nodeId = event.getMember().getAttribute("__vertx.nodeId");
        listener.accept(nodeId == null ? event.getMember().getUuid().toString() : nodeId);
      }
    });
  }
}
