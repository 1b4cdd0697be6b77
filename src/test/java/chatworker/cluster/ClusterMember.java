package chatworker.cluster;

import static chatworker.testing.Await.await;

import chatworker.api.ApiException;
import chatworker.cli.NodeVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.List;

/**
 * A clustered Vert.x in this JVM, built the way the node and {@code submit} build theirs: a node
 * member that runs a {@link NodeVerticle}, or a lite member that only sends requests.
 */
final class ClusterMember implements AutoCloseable {

  static final long REQUEST_TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private volatile NodeVerticle node;

  private ClusterMember(Vertx vertx, HazelcastClusterManager manager) {
    this.vertx = vertx;
    this.manager = manager;
  }

  /** Joins (or forms) the cluster; the event bus on the settings' host, any free port, TLS if they say so. */
  static Future<ClusterMember> start(ClusterSettings settings, boolean liteMember) {
    HazelcastClusterManager manager = HazelcastSetup.clusterManager(settings, liteMember);
    VertxOptions options = EventBusSetup.configure(new VertxOptions(), settings);
    return Vertx.builder().with(options).withClusterManager(manager).buildClustered()
        .map(vertx -> new ClusterMember(vertx, manager));
  }

  /** Member settings on loopback: a 1 s heartbeat, dead after 5 s of silence, as conf/ ships. */
  /**
   * A member in this JVM that joins {@code cluster}'s nodes as a client. A data member (not lite) can
   * still close once the nodes have left, since a cluster of lite members alone holds no partitions.
   */
  static ClusterMember joinAsClient(ProcessCluster cluster, boolean liteMember) {
    List<Integer> nodePorts = cluster.nodes().stream().map(NodeProcess::clusterPort).toList();
    return await(start(settings(cluster.clusterName(), FreePorts.loopback(1).get(0), nodePorts), liteMember),
        ProcessCluster.START_TIMEOUT);
  }

  static ClusterSettings settings(String clusterName, int port, List<Integer> memberPorts) {
    return new ClusterSettings(clusterName, "127.0.0.1", port,
        memberPorts.stream().map(p -> "127.0.0.1:" + p).toList(), 1, 5);
  }

  Vertx vertx() {
    return vertx;
  }

  String nodeId() {
    return manager.getNodeId();
  }

  /** The Vert.x node ids of every member this one sees (itself included). */
  List<String> members() {
    return manager.getNodes();
  }

  /** Deploys a whole node (API, generation, status) with {@code config}; completes once it takes jobs. */
  Future<String> deployNode(JsonObject config) {
    node = new NodeVerticle(config, nodeId(), manager::getNodes);
    return vertx.deployVerticle(node);
  }

  /** The HTTP port of the node deployed here. */
  int httpPort() {
    return node.httpPort();
  }

  /** As {@link #deployNode}, answering the node itself (e.g. for its HTTP port). */
  Future<NodeVerticle> startNode(JsonObject config) {
    NodeVerticle node = new NodeVerticle(config, nodeId(), manager::getNodes);
    return vertx.deployVerticle(node).map(id -> node);
  }

  /**
   * A contract request over the cluster. A node's failure comes back as its {@link ApiException};
   * no answer at all (timeout, no handlers) as the event bus's {@link ReplyException}.
   */
  Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS))
        .map(reply -> reply.body())
        .recover(err -> Future.failedFuture(isNoAnswer(err) ? err : ApiException.fromReply(err)));
  }

  /** Whether a failure means that no answer came at all. */
  static boolean isNoAnswer(Throwable err) {
    return err instanceof ReplyException reply
        && (reply.failureType() == ReplyFailure.TIMEOUT || reply.failureType() == ReplyFailure.NO_HANDLERS);
  }

  /** Leaves the cluster and closes Vert.x (undeploying a node first). */
  @Override
  public void close() {
    await(vertx.close(), Duration.ofSeconds(30));
  }

  /**
   * Closes {@code members} one at a time, the last started first, and empties the list. Closed all at
   * once, members that were leaving kept retrying Hazelcast operations on members already gone, and
   * the close outlasted a minute once; the first member, Hazelcast's master, goes last.
   */
  static void closeAll(List<ClusterMember> members) {
    for (int i = members.size() - 1; i >= 0; i--) {
      members.get(i).close();
    }
    members.clear();
  }
}
