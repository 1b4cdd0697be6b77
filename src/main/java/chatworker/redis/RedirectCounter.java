package chatworker.redis;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.redis.client.RedisConnection;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the {@code MOVED} and {@code ASK} replies that reach a cluster node's socket. The client
 * follows them by itself and tells no one; this reads the bytes on their way in (an error reply is a
 * line that starts with {@code -}) and passes them on untouched. A redirect split across two reads is
 * missed, which a counter for operators can afford.
 */
@Sharable
final class RedirectCounter extends ChannelInboundHandlerAdapter {

  private static final String NAME = "chatworker-redirect-counter";
  private static final byte[] MOVED = "-MOVED ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ASK = "-ASK ".getBytes(StandardCharsets.US_ASCII);

  private final LongAdder redirects;

  RedirectCounter(LongAdder redirects) {
    this.redirects = redirects;
  }

  /** Adds this counter to {@code conn}'s socket, unless that cannot be reached. */
  void install(RedisConnection conn) {
    ChannelHandlerContext vertxHandler = ClientSockets.vertxHandler(conn);
    if (vertxHandler != null && vertxHandler.pipeline().get(NAME) == null) {
      vertxHandler.pipeline().addBefore(vertxHandler.name(), NAME, this);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      int end = buf.writerIndex();
      for (int i = buf.readerIndex(); i < end; i++) {
        if (buf.getByte(i) == '-' && (i == buf.readerIndex() || buf.getByte(i - 1) == '\n')
            && (startsWith(buf, i, MOVED) || startsWith(buf, i, ASK))) {
          redirects.increment();
        }
      }
    }
    ctx.fireChannelRead(msg);
  }

  private static boolean startsWith(ByteBuf buf, int at, byte[] prefix) {
    if (at + prefix.length > buf.writerIndex()) {
      return false;
    }
    for (int j = 0; j < prefix.length; j++) {
      if (buf.getByte(at + j) != prefix[j]) {
        return false;
      }
    }
    return true;
  }
}
