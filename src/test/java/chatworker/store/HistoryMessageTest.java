package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HistoryMessageTest {

  /**
   * Verifies that a stored message is read to its seq, role, text and token count, and separately to
   * its id, whatever other fields it has (nested metadata included), and that a message stored
   * without a count is counted.
   */
  @Test
  @DisplayName("A stored message reads to seq, role, text and tokens, and to its id; a missing count is counted")
  void readsRoleTextAndTokens() {
    JsonObject stored = new JsonObject(MessageJson.openUser("m1", "c1", "say \"hi\" {not json}", 6, "now",
        new JsonObject().put("text", "not this one").put("nested", new JsonObject().put("role", "x"))) + "3}");
    assertThat(HistoryMessage.parse(stored.encode(), text -> -1))
        .isEqualTo(new HistoryMessage(3, "user", "say \"hi\" {not json}", 6));
    assertThat(HistoryMessage.idOf(stored.encode())).isEqualTo("m1");
    assertThat(HistoryMessage.idOf("{\"role\":\"user\",\"id\":\"late\"}")).isEqualTo("late");
    assertThat(HistoryMessage.idOf("{\"id\":\"a\\\"b\",\"role\":\"user\"}")).isEqualTo("a\"b");

    String old = new JsonObject().put("id", "m2").put("role", "assistant").put("text", "abc").put("seq", 4).encode();
    assertThat(HistoryMessage.parse(old, String::length)).isEqualTo(new HistoryMessage(4, "assistant", "abc", 3));
  }

  /** Verifies that what is not a stored message fails loudly instead of feeding the model nonsense. */
  @Test
  @DisplayName("Something that is not a stored message is refused")
  void refusesWhatIsNotAMessage() {
    assertThatThrownBy(() -> HistoryMessage.parse("[1,2]", String::length)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> HistoryMessage.parse("{\"role\":\"user\"}", String::length))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> HistoryMessage.parse("{\"role\":", String::length)).isInstanceOf(RuntimeException.class);
  }
}
