package chatworker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenAiErrorsTest {

  /** Verifies that the error message is found in the shapes OpenAI, vLLM, Ollama and others use. */
  @Test
  @DisplayName("Finds the message in OpenAI, vLLM, Ollama and plain-text error bodies")
  void findsTheMessage() {
    assertThat(OpenAiErrors.message(Buffer.buffer("{\"error\":{\"message\":\"bad model\",\"code\":null}}")))
        .isEqualTo("bad model");
    assertThat(OpenAiErrors.message(Buffer.buffer("{\"object\":\"error\",\"message\":\"too long\"}")))
        .isEqualTo("too long");
    assertThat(OpenAiErrors.message(Buffer.buffer("{\"error\":\"model not found\"}")))
        .isEqualTo("model not found");
    assertThat(OpenAiErrors.message(Buffer.buffer("{\"detail\":\"Not Found\"}"))).isEqualTo("Not Found");
    assertThat(OpenAiErrors.message(Buffer.buffer("<html>Bad Gateway</html>")))
        .isEqualTo("<html>Bad Gateway</html>");
    assertThat(OpenAiErrors.message(Buffer.buffer(""))).isNull();
  }

  /** Verifies that a quoted message loses the key, extra whitespace and excess length. */
  @Test
  @DisplayName("A quoted message loses the key, extra whitespace and excess length")
  void cleansMessages() {
    assertThat(OpenAiErrors.clean("bad key  sk-1\n\tsk-1", "sk-1"))
        .isEqualTo("bad key [redacted] [redacted]");
    assertThat(OpenAiErrors.clean("x".repeat(1000), null)).hasSize(OpenAiErrors.MAX_MESSAGE_CHARS + 1);
    assertThat(OpenAiErrors.clean(null, "k")).isEqualTo("no message");
  }

  /** Verifies that Retry-After is read as seconds or as an HTTP date, and ignored when unreadable. */
  @Test
  @DisplayName("Retry-After is read as seconds or an HTTP date; garbage is ignored")
  void readsRetryAfter() {
    assertThat(OpenAiErrors.retryAfterMs("2")).isEqualTo(2000);
    assertThat(OpenAiErrors.retryAfterMs("0.5")).isEqualTo(500);
    assertThat(OpenAiErrors.retryAfterMs(null)).isEqualTo(-1);
    assertThat(OpenAiErrors.retryAfterMs("soon")).isEqualTo(-1);
    assertThat(OpenAiErrors.retryAfterMs("-3")).isEqualTo(-1);
    String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME
        .format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));
    assertThat(OpenAiErrors.retryAfterMs(inAMinute)).isBetween(50_000L, 60_000L);
  }
}
