package chatworker.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test's node processes ({@link ProcessCluster}) and the client member in this JVM that talks to
 * them; both closed after each test, the client first. Register it as a field with
 * {@code @RegisterExtension}.
 */
final class NodesAndClient implements AfterEachCallback {

  private ProcessCluster cluster;
  private ClusterMember client;

  /**
   * Starts {@code count} nodes on {@code redisUrl} with {@code overrides}, then a client that joins
   * them: a lite member, or a data member, which can still leave once the nodes are gone (see
   * {@link ClusterMember#joinAsClient}).
   */
  NodesAndClient start(String name, String redisUrl, int count, JsonObject overrides, boolean liteClient) {
    cluster = ProcessCluster.start(name, redisUrl, count, overrides);
    client = ClusterMember.joinAsClient(cluster, liteClient);
    return this;
  }

  ProcessCluster cluster() {
    return cluster;
  }

  NodeProcess node(int index) {
    return cluster.node(index);
  }

  ClusterMember client() {
    return client;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }
}
