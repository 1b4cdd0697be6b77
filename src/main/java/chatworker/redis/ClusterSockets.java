package chatworker.redis;

import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.impl.RedisClusterConnection;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node connections inside a cluster connection. A cluster connection holds one pooled
 * connection per node and keeps them private; the layer needs them to coalesce each one's writes
 * ({@link FlushCoalescing}) and to drop them all when it takes the connection out of service (its
 * {@code close()} only hands them back to the pool, hung or not). Reached by reflection; should a
 * client version change that, a cluster connection works as before, only without those two.
 */
final class ClusterSockets {

  private static final Logger log = LoggerFactory.getLogger(ClusterSockets.class);
  private static final Field CONNECTIONS = connectionsField();

  private ClusterSockets() {}

  /** The node connections of {@code conn} if it is a cluster connection; else {@code conn} itself. */
  static List<RedisConnection> of(RedisConnection conn) {
    if (!(conn instanceof RedisClusterConnection) || CONNECTIONS == null) {
      return List.of(conn);
    }
    try {
      Map<?, ?> byNode = (Map<?, ?>) CONNECTIONS.get(conn);
      synchronized (byNode) {
        return byNode.values().stream().map(RedisConnection.class::cast).toList();
      }
    } catch (IllegalAccessException | ClassCastException e) {
      return List.of(conn);
    }
  }

  private static Field connectionsField() {
    try {
      Field field = RedisClusterConnection.class.getDeclaredField("connections");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      log.info("cluster connections are neither coalesced nor force-closed node by node: {}", e.toString());
      return null;
    }
  }
}
