package chatworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventStreamReaderTest {

  private final List<String> events = new ArrayList<>();
  private final EventStreamReader reader =
      new EventStreamReader((name, data) -> events.add(name + "=" + data));

  private void feed(String... lines) {
    for (String line : lines) {
      reader.line(line);
    }
  }

  /** Verifies that an event is passed on at its blank line, with its name and its data lines joined by LF. */
  @Test
  @DisplayName("a blank line ends an event: its name and its data lines joined")
  void blankLineEndsAnEvent() {
    feed("event: chunk", "data: {\"seq\":0}");
    assertThat(events).isEmpty();
    feed("", "event: done", "data: a", "data: b", "");
    assertThat(events).containsExactly("chunk={\"seq\":0}", "done=a\nb");
  }

  /** Verifies that comments, unknown fields, CRs and events without data are handled as SSE says. */
  @Test
  @DisplayName("comments and unknown fields are skipped, CR dropped, an unnamed event is 'message'")
  void commentsFieldsAndDefaults() {
    feed(": keep-alive", "", "id: 7", "retry: 10", "data:x\r", "\r", "event: lonely", "", "data: y", "");
    assertThat(events).containsExactly("message=x", "message=y");
  }
}
