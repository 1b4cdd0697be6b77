package chatworker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenAiStreamTest {

  private static final List<ChatTurn> TURNS = List.of(new ChatTurn("user", "12345678"));

  /** Verifies that only choice 0 counts, the role chunk and null usage add nothing, and usage is read. */
  @Test
  @DisplayName("Reads choice 0 only, skips role and null-usage chunks, and takes the usage chunk's counts")
  void readsChoiceZeroAndUsage() {
    OpenAiStream stream = new OpenAiStream();
    assertThat(stream.accept("{\"choices\":[{\"index\":0,"
        + "\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}],\"usage\":null}")).isNull();
    assertThat(stream.accept("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}},"
        + "{\"index\":0,\"delta\":{\"content\":\"A\"}}]}")).isEqualTo("A");
    assertThat(stream.accept("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"))
        .isNull();
    assertThat(stream.complete()).isTrue();
    assertThat(stream.done()).isFalse();
    stream.accept("{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}");
    stream.accept("[DONE]");
    assertThat(stream.done()).isTrue();
    assertThat(stream.reply(TURNS)).isEqualTo(new ModelReply("A", 9, 1));
  }

  /** Verifies that without usage each delta counts one token, and the prompt is the turns' token counts. */
  @Test
  @DisplayName("Without usage, the completion is counted in deltas and the prompt with the tokenizer")
  void estimatesWithoutUsage() {
    OpenAiStream stream = new OpenAiStream();
    stream.accept("{\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}");
    stream.accept("{\"choices\":[{\"delta\":{\"content\":\" you\"}}]}");
    // "12345678" is 3 cl100k_base tokens (digits go in threes), plus 4 for the turn's framing
    assertThat(stream.reply(TURNS)).isEqualTo(new ModelReply("Hello you", 7, 2));
  }

  /** Verifies that events of the wrong shape and error events fail with a ModelException. */
  @Test
  @DisplayName("Wrong shapes and error events fail with a ModelException")
  void refusesWrongShapes() {
    for (String bad : List.of("[1,2]", "null", "{\"choices\":{}}",
        "{\"choices\":[{\"delta\":{\"content\":5}}]}", "{\"choices\":[null]}", "{not json")) {
      assertThatThrownBy(() -> new OpenAiStream().accept(bad)).as(bad)
          .isInstanceOf(ModelException.class).hasMessageContaining("malformed");
    }
    assertThatThrownBy(() -> new OpenAiStream().accept("{\"error\":{\"message\":\"out of memory\"}}"))
        .isInstanceOf(ModelException.class).hasMessageContaining("out of memory");
  }
}
