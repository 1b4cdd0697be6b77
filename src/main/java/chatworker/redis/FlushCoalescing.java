package chatworker.redis;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.impl.PooledRedisConnection;
import io.vertx.redis.client.impl.RedisStandaloneConnection;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the commands that the jobs of one event-loop turn send on a connection leave in one socket
 * write. The client flushes after every command; Vert.x holds a flush back only while that same
 * connection is reading. So jobs started by a timer tick or by event-bus deliveries (not by a Redis
 * reply) each cost a write system call, and Redis a read. Netty's {@link FlushConsolidationHandler}
 * in the connection's pipeline turns those flushes into one, run once the tasks already queued on the
 * loop are done: a delay of microseconds, for fewer system calls on both sides (docs/REDIS.md).
 *
 * <p>The client keeps its socket private, so it is reached by reflection; should a client version
 * change that, the connection works as before, only without coalescing (logged once).
 */
final class FlushCoalescing {

  private static final Logger log = LoggerFactory.getLogger(FlushCoalescing.class);
  private static final String NAME = "chatworker-flush-coalescing";
  /** Flushes absorbed at most before one goes through anyway. */
  private static final int MAX_ABSORBED = 256;
  private static final Field NET_SOCKET = socketField();

  private FlushCoalescing() {}

  /** Adds the handler to {@code conn}'s pipeline, unless its socket cannot be reached. */
  static void install(RedisConnection conn) {
    ChannelHandlerContext vertxHandler = vertxHandler(conn);
    if (vertxHandler != null && vertxHandler.pipeline().get(NAME) == null) {
      // Right in front of Vert.x's handler: its flushes pass here first, on their way out.
      vertxHandler.pipeline().addBefore(vertxHandler.name(), NAME, new FlushConsolidationHandler(MAX_ABSORBED, true));
    }
  }

  /** Vert.x's own handler in the pipeline of {@code conn}'s socket, or null when it cannot be reached. */
  static ChannelHandlerContext vertxHandler(RedisConnection conn) {
    if (NET_SOCKET == null || !(conn instanceof PooledRedisConnection pooled)
        || !(pooled.actual() instanceof RedisStandaloneConnection standalone)) {
      return null;
    }
    try {
      return ((NetSocketInternal) NET_SOCKET.get(standalone)).channelHandlerContext();
    } catch (IllegalAccessException | ClassCastException | IllegalArgumentException e) {
      log.debug("Redis socket not reachable: {}", e.toString());
      return null;
    }
  }

  private static Field socketField() {
    try {
      Field field = RedisStandaloneConnection.class.getDeclaredField("netSocket");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException | RuntimeException e) {
      log.info("Redis writes are not coalesced: this vertx-redis-client keeps its socket elsewhere ({})", e.toString());
      return null;
    }
  }
}
