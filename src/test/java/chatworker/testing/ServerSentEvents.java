package chatworker.testing;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} as it arrives: feed it the body's buffers in order, and it hands
 * over each complete event, its name ({@code event:}, "message" when absent) and its data (the
 * {@code data:} lines joined by newlines). Bytes are kept until an event is complete, so a character
 * split between two buffers is decoded whole. Not thread-safe: feed it from one thread.
 */
public final class ServerSentEvents {

  /** One event of the stream. */
  public record Event(String name, String data) {}

  private final Consumer<Event> onEvent;
  private Buffer pending = Buffer.buffer();
  private int scanned; // bytes of pending already searched for the end of an event

  public ServerSentEvents(Consumer<Event> onEvent) {
    this.onEvent = onEvent;
  }

  /** The next bytes of the body. */
  public void feed(Buffer bytes) {
    pending.appendBuffer(bytes);
    int from = 0;
    for (int i = Math.max(0, scanned - 1); i + 1 < pending.length(); i++) {
      if (pending.getByte(i) == '\n' && pending.getByte(i + 1) == '\n') {
        dispatch(pending.getString(from, i, StandardCharsets.UTF_8.name()));
        from = i + 2;
        i++;
      }
    }
    if (from > 0) {
      pending = pending.getBuffer(from, pending.length());
    }
    scanned = pending.length();
  }

  private void dispatch(String block) {
    String name = "message";
    StringBuilder data = null;
    for (String line : block.split("\n")) {
      if (line.startsWith("event:")) {
        name = line.substring("event:".length()).trim();
      } else if (line.startsWith("data:")) {
        String value = line.substring("data:".length());
        value = value.startsWith(" ") ? value.substring(1) : value;
        data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
      }
    }
    if (data != null) {
      onEvent.accept(new Event(name, data.toString()));
    }
  }
}
