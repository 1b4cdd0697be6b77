package chatworker.model;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Server-sent-events framing: bytes in, the {@code data} of each complete event out. Lines end with
 * LF, CRLF or CR, even when a buffer splits a line, a CRLF pair or a UTF-8 character; lines starting
 * with {@code :} are comments (keep-alives); fields other than {@code data} are ignored; the data lines
 * of one event are joined with LF; a blank line ends an event. Not thread-safe: one per response.
 */
final class OpenAiSse {

  /** A line or an event larger than this is not an OpenAI stream: fail rather than buffer without bound. */
  static final int MAX_BYTES = 1 << 20;

  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private StringBuilder data;
  private boolean afterCr;
  private boolean firstLine = true;

  /**
   * Consumes {@code bytes}, passing the data of each event they complete to {@code onEvent}.
   *
   * @throws ModelException when a line or an event exceeds {@link #MAX_BYTES}
   */
  void feed(Buffer bytes, Consumer<String> onEvent) {
    byte[] in = bytes.getBytes();
    int start = 0;
    for (int i = 0; i < in.length; i++) {
      byte b = in[i];
      if (afterCr) {
        afterCr = false;
        if (b == '\n') {
          start = i + 1;
          continue;
        }
      }
      if (b == '\n' || b == '\r') {
        line.write(in, start, i - start);
        endLine(onEvent);
        start = i + 1;
        afterCr = b == '\r';
      }
    }
    line.write(in, start, in.length - start);
    if (line.size() > MAX_BYTES) {
      throw new ModelException("model stream malformed: a line exceeds " + MAX_BYTES + " bytes");
    }
  }

  /**
   * The stream has ended: passes on an event that lacks only its final blank line (lenient, as some
   * servers end with {@code data: [DONE]\n}).
   */
  void end(Consumer<String> onEvent) {
    if (line.size() > 0) {
      endLine(onEvent);
    }
    if (data != null) {
      dispatch(onEvent);
    }
  }

  private void endLine(Consumer<String> onEvent) {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (firstLine) {
      firstLine = false;
      if (text.startsWith("\uFEFF")) {
        text = text.substring(1);
      }
    }
    if (text.isEmpty()) {
      if (data != null) {
        dispatch(onEvent);
      }
      return;
    }
    if (text.charAt(0) == ':') {
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    if (!"data".equals(field)) {
      return;
    }
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (data == null) {
      data = new StringBuilder(value);
    } else {
      data.append('\n').append(value);
    }
    if (data.length() > MAX_BYTES) {
      throw new ModelException("model stream malformed: an event exceeds " + MAX_BYTES + " bytes");
    }
  }

  private void dispatch(Consumer<String> onEvent) {
    String event = data.toString();
    data = null;
    onEvent.accept(event);
  }
}
