package chatworker.cli;

import java.util.function.BiConsumer;

/**
 * Server-sent-events framing, line by line (the caller splits at LF and may leave a CR): a blank
 * line ends an event; {@code event:} names it ("message" when absent), {@code data:} lines are joined
 * with LF, lines starting with {@code :} are comments (keep-alives), other fields are ignored. An
 * event without data is not passed on. Not thread-safe: one per response.
 */
final class EventStreamReader {

  private final BiConsumer<String, String> onEvent;
  private String name;
  private StringBuilder data;

  /** {@code onEvent} gets each complete event's name and data. */
  EventStreamReader(BiConsumer<String, String> onEvent) {
    this.onEvent = onEvent;
  }

  void line(String raw) {
    String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
    if (line.isEmpty()) {
      if (data != null) {
        String event = name == null ? "message" : name;
        String payload = data.toString();
        name = null;
        data = null;
        onEvent.accept(event, payload);
      }
      name = null;
      return;
    }
    if (line.charAt(0) == ':') {
      return;
    }
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if ("event".equals(field)) {
      name = value;
    } else if ("data".equals(field)) {
      data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
    }
  }
}
