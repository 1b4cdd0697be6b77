package chatworker.redis;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.impl.PooledRedisConnection;
import io.vertx.redis.client.impl.RedisClusterConnection;
import io.vertx.redis.client.impl.RedisStandaloneConnection;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the client keeps private about its connections and the layer needs: the per-node connections
 * inside a cluster connection (to coalesce, PING and force-close each: a cluster connection's
 * {@code close()} only hands them back to the pool), and the socket of a single-node connection (its
 * Netty pipeline, for {@link FlushCoalescing} and {@link RedirectCounter}, and the server's address,
 * to drop a connection to a master that was replaced). Reached by reflection; should a client version
 * change that, connections work as before, only without those extras (logged once).
 */
final class ClientSockets {

  private static final Logger log = LoggerFactory.getLogger(ClientSockets.class);
  private static final Field CLUSTER_CONNECTIONS = field(RedisClusterConnection.class, "connections");
  private static final Field NET_SOCKET = field(RedisStandaloneConnection.class, "netSocket");

  private ClientSockets() {}

  /** The node connections of {@code conn} if it is a cluster connection; else {@code conn} itself. */
  static List<RedisConnection> nodesOf(RedisConnection conn) {
    if (!(conn instanceof RedisClusterConnection) || CLUSTER_CONNECTIONS == null) {
      return List.of(conn);
    }
    try {
      Map<?, ?> byNode = (Map<?, ?>) CLUSTER_CONNECTIONS.get(conn);
      synchronized (byNode) {
        return byNode.values().stream().map(RedisConnection.class::cast).toList();
      }
    } catch (IllegalAccessException | ClassCastException e) {
      return List.of(conn);
    }
  }

  /** Vert.x's own handler in the pipeline of a single-node connection's socket, or null. */
  static ChannelHandlerContext vertxHandler(RedisConnection conn) {
    NetSocketInternal socket = socket(conn);
    return socket == null ? null : socket.channelHandlerContext();
  }

  /** {@code ip:port} of the server a single-node connection talks to, or null when unknown. */
  static String serverAddress(RedisConnection conn) {
    NetSocketInternal socket = socket(conn);
    SocketAddress remote = socket == null ? null : socket.remoteAddress();
    if (remote == null) {
      return null;
    }
    return (remote.hostAddress() != null ? remote.hostAddress() : remote.host()) + ":" + remote.port();
  }

  private static NetSocketInternal socket(RedisConnection conn) {
    if (NET_SOCKET == null || !(conn instanceof PooledRedisConnection pooled)
        || !(pooled.actual() instanceof RedisStandaloneConnection standalone)) {
      return null;
    }
    try {
      return (NetSocketInternal) NET_SOCKET.get(standalone);
    } catch (IllegalAccessException | ClassCastException | IllegalArgumentException e) {
      return null;
    }
  }

  private static Field field(Class<?> owner, String name) {
    try {
      Field field = owner.getDeclaredField(name);
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      log.info("{}.{} is out of reach ({}): Redis connections work without coalescing, per-node PINGs "
          + "or address checks", owner.getSimpleName(), name, e.toString());
      return null;
    }
  }
}
