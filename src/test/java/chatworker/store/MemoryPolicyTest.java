package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MemoryPolicyTest {

  private static JsonObject assistantWith(JsonObject memory) {
    return new JsonObject().put("name", "a").put("memory", memory);
  }

  /** Alternating user and assistant messages, the last one the user's. */
  private static List<HistoryMessage> history(int count) {
    List<HistoryMessage> history = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      history.add(new HistoryMessage(i, (count - i) % 2 == 0 ? "user" : "assistant", "m" + i, 1));
    }
    return history;
  }

  /** Verifies that an assistant without memory, or with part of it, gets the documented defaults. */
  @Test
  @DisplayName("Defaults: message_window of 20 messages and 4,096 tokens")
  void defaults() {
    MemoryPolicy none = MemoryPolicy.of(new JsonObject());
    assertThat(none).isEqualTo(new MemoryPolicy(MemoryPolicy.Type.MESSAGE_WINDOW, 20, 4_096));
    assertThat(none.toJson()).isEqualTo(new JsonObject().put("type", "message_window").put("maxMessages", 20)
        .put("maxTokens", 4_096));
    assertThat(MemoryPolicy.of(assistantWith(new JsonObject().put("type", "naive"))))
        .isEqualTo(new MemoryPolicy(MemoryPolicy.Type.NAIVE, 20, 4_096));
    JsonObject given = new JsonObject().put("type", "zero").put("maxMessages", 3).put("maxTokens", 50);
    assertThat(MemoryPolicy.of(assistantWith(given)).toJson()).isEqualTo(given);
  }

  /** Verifies how many messages each memory type has the store read. */
  @Test
  @DisplayName("History limits: zero 1, message_window maxMessages, naive bounded")
  void historyLimits() {
    assertThat(MemoryPolicy.of(assistantWith(new JsonObject().put("type", "zero"))).historyLimit()).isEqualTo(1);
    assertThat(MemoryPolicy.of(assistantWith(new JsonObject().put("type", "message_window").put("maxMessages", 7)))
        .historyLimit()).isEqualTo(7);
    assertThat(MemoryPolicy.of(new JsonObject()).historyLimit()).isEqualTo(MemoryPolicy.DEFAULT_MAX_MESSAGES);
    assertThat(MemoryPolicy.of(assistantWith(new JsonObject().put("type", "naive"))).historyLimit())
        .isEqualTo(MemoryPolicy.MAX_HISTORY);
  }

  /**
   * Verifies which messages each type keeps: zero the pending user turn only (none when the newest is
   * not the user's), message_window the newest maxMessages, naive all.
   */
  @Test
  @DisplayName("Kept messages: zero the pending user turn, message_window the newest maxMessages, naive all")
  void keptMessages() {
    List<HistoryMessage> five = history(5);
    assertThat(new MemoryPolicy(MemoryPolicy.Type.ZERO, 20, 100).keep(five)).containsExactly(five.get(4));
    assertThat(new MemoryPolicy(MemoryPolicy.Type.ZERO, 20, 100).keep(five.subList(0, 4))).isEmpty();
    assertThat(new MemoryPolicy(MemoryPolicy.Type.MESSAGE_WINDOW, 2, 100).keep(five))
        .containsExactly(five.get(3), five.get(4));
    assertThat(new MemoryPolicy(MemoryPolicy.Type.NAIVE, 2, 100).keep(five)).isEqualTo(five);
  }
}
