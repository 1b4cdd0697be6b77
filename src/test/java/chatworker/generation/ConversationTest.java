package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.model.ChatTurn;
import chatworker.model.Tokenizer;
import chatworker.store.HistoryMessage;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConversationTest {

  private static List<HistoryMessage> history(int messages) {
    List<HistoryMessage> history = new ArrayList<>();
    for (int i = 1; i <= messages; i++) {
      history.add(new HistoryMessage(i, i % 2 == 1 ? "user" : "assistant", "message " + i,
          Tokenizer.count("message " + i)));
    }
    return history;
  }

  private static JsonObject assistant(String type, int maxMessages, int maxTokens) {
    return new JsonObject().put("systemPrompt", "You help {{user}} with {{topic}}.")
        .put("memory", new JsonObject().put("type", type).put("maxMessages", maxMessages).put("maxTokens", maxTokens));
  }

  /** Verifies that zero memory keeps only the pending user turn after the system prompt. */
  @Test
  @DisplayName("zero memory: system prompt and the pending user turn only")
  void zeroMemoryKeepsOnlyThePendingTurn() {
    List<ChatTurn> turns = Conversation.turns(assistant("zero", 20, 4096), null, history(5));
    assertThat(turns).extracting(ChatTurn::text).containsExactly("You help {{user}} with {{topic}}.", "message 5");
  }

  /** Verifies that a message window keeps the last maxMessages messages, oldest first. */
  @Test
  @DisplayName("message_window keeps the last maxMessages, oldest first")
  void messageWindowKeepsTheLastMessages() {
    List<ChatTurn> turns = Conversation.turns(assistant("message_window", 3, 4096), null, history(7));
    assertThat(turns).extracting(ChatTurn::text).containsExactly("You help {{user}} with {{topic}}.",
        "message 5", "message 6", "message 7");
  }

  /** Verifies that the token budget drops the oldest messages first but never the newest one. */
  @Test
  @DisplayName("maxTokens trims the oldest messages and keeps the newest")
  void tokenBudgetTrimsOldestFirst() {
    List<ChatTurn> roomy = Conversation.turns(assistant("naive", 20, 4096), null, history(10));
    List<ChatTurn> tight = Conversation.turns(assistant("naive", 20, 40), null, history(10));
    assertThat(roomy).hasSize(11);
    assertThat(tight.size()).isLessThan(roomy.size()).isGreaterThanOrEqualTo(2);
    assertThat(tight.get(tight.size() - 1).text()).isEqualTo("message 10");
    List<ChatTurn> none = Conversation.turns(assistant("naive", 20, 1), null, history(3));
    assertThat(none).extracting(ChatTurn::text).endsWith("message 3");
  }

  /** Verifies that {{variables}} are filled from systemPromptVariables and unknown ones are left. */
  @Test
  @DisplayName("System prompt variables are filled; unknown ones stay")
  void variablesAreFilled() {
    List<ChatTurn> turns = Conversation.turns(assistant("zero", 1, 4096),
        new JsonObject().put("user", "Ada").put("unused", 1), history(1));
    assertThat(turns.get(0)).isEqualTo(new ChatTurn("system", "You help Ada with {{topic}}."));
  }
}
