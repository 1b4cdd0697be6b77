package chatworker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenAiSseTest {

  /** Feeds {@code text} in pieces of {@code size} bytes and returns the events, end of stream included. */
  private static List<String> events(String text, int size) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    OpenAiSse sse = new OpenAiSse();
    List<String> events = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += size) {
      sse.feed(Buffer.buffer().appendBytes(bytes, i, Math.min(size, bytes.length - i)), events::add);
    }
    sse.end(events::add);
    return events;
  }

  /** Verifies that events come out whole however the bytes are split, even inside a UTF-8 character. */
  @Test
  @DisplayName("Events come out whole whatever the buffer boundaries, multi-byte characters included")
  void splitsAnywhere() {
    String stream = "data: {\"a\":\"héllo €\"}\n\ndata: [DONE]\n\n";
    for (int size = 1; size <= stream.length(); size++) {
      assertThat(events(stream, size)).as("pieces of %d bytes", size)
          .containsExactly("{\"a\":\"héllo €\"}", "[DONE]");
    }
  }

  /** Verifies that CRLF and lone CR end lines as LF does, even when a CRLF pair is split. */
  @Test
  @DisplayName("CRLF and CR end lines like LF, even split across buffers")
  void acceptsEveryLineEnding() {
    String stream = "data: one\r\n\r\ndata: two\r\rdata: three\n\n";
    for (int size = 1; size <= 4; size++) {
      assertThat(events(stream, size)).containsExactly("one", "two", "three");
    }
  }

  /** Verifies that comments and other fields are skipped and multi-line data is joined with LF. */
  @Test
  @DisplayName("Comments and other fields are skipped; data lines of one event are joined")
  void skipsCommentsAndJoinsDataLines() {
    String stream = ": keep-alive\n\nevent: message\nid: 1\ndata: first\ndata:second\nretry: 10\n\n";
    assertThat(events(stream, 7)).containsExactly("first\nsecond");
  }

  /** Verifies that a last event missing its blank line is still passed on at the end of the stream. */
  @Test
  @DisplayName("A last event without its closing blank line is passed on at the end")
  void flushesTheLastEventAtTheEnd() {
    assertThat(events("data: x\n\ndata: [DONE]\n", 3)).containsExactly("x", "[DONE]");
    assertThat(events("data: [DONE]", 3)).containsExactly("[DONE]");
  }

  /** Verifies that a line with no end beyond the bound fails instead of buffering without limit. */
  @Test
  @DisplayName("An endless line fails instead of filling memory")
  void boundsALine() {
    OpenAiSse sse = new OpenAiSse();
    Buffer chunk = Buffer.buffer("x".repeat(64 * 1024));
    assertThatThrownBy(() -> {
      for (int i = 0; i < 32; i++) {
        sse.feed(chunk, event -> { });
      }
    }).isInstanceOf(ModelException.class).hasMessageContaining("exceeds");
  }
}
