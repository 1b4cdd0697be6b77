package chatworker.redis;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.redis.client.RedisConnection;

/**
 * Makes the commands that the jobs of one event-loop turn send on a connection leave in one socket
 * write. The client flushes after every command; Vert.x holds a flush back only while that same
 * connection is reading. So jobs started by a timer tick or by event-bus deliveries (not by a Redis
 * reply) each cost a write system call, and Redis a read. Netty's {@link FlushConsolidationHandler}
 * in the connection's pipeline turns those flushes into one, run once the tasks already queued on the
 * loop are done: a delay of microseconds, for fewer system calls on both sides (docs/REDIS.md).
 *
 * <p>The client keeps its socket private: {@link ClientSockets} reaches it.
 */
final class FlushCoalescing {

  private static final String NAME = "chatworker-flush-coalescing";
  /** Flushes absorbed at most before one goes through anyway. */
  private static final int MAX_ABSORBED = 256;

  private FlushCoalescing() {}

  /** Adds the handler to {@code conn}'s pipeline, unless its socket cannot be reached. */
  static void install(RedisConnection conn) {
    ChannelHandlerContext vertxHandler = ClientSockets.vertxHandler(conn);
    if (vertxHandler != null && vertxHandler.pipeline().get(NAME) == null) {
      // Right in front of Vert.x's handler: its flushes pass here first, on their way out.
      vertxHandler.pipeline().addBefore(vertxHandler.name(), NAME, new FlushConsolidationHandler(MAX_ABSORBED, true));
    }
  }
}
