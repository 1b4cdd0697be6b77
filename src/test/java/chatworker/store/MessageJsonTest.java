package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MessageJsonTest {

  /**
   * Verifies that opened messages, completed the way the scripts complete them (seq + "}"), parse
   * back to exactly the contract's fields, their token count and metadata or jobId, with texts that
   * need escaping kept as they were.
   */
  @Test
  @DisplayName("Opened messages completed by a script parse back to the contract's fields")
  void openedMessagesCompleteToTheContractsFields() {
    String text = "say \"hi\" } \\ \n\t\u0001 é 😀";
    JsonObject metadata = new JsonObject().put("k", "}").put("n", 1);
    JsonObject user = new JsonObject(MessageJson.openUser("m1", "c1", text, 4, "2026-01-01T00:00:00Z", metadata) + "7}");
    assertThat(user).isEqualTo(new JsonObject().put("id", "m1").put("chatId", "c1").put("role", "user")
        .put("text", text).put("tokens", 4).put("createdAt", "2026-01-01T00:00:00Z").put("metadata", metadata)
        .put("seq", 7));
    assertThat(user.fieldNames())
        .containsExactly("id", "chatId", "role", "text", "tokens", "createdAt", "metadata", "seq");

    JsonObject assistant = new JsonObject(MessageJson.openAssistant("m2", "c1", text, 5, "now", "job-\"1") + "8}");
    assertThat(assistant.fieldNames())
        .containsExactly("id", "chatId", "role", "text", "tokens", "createdAt", "jobId", "seq");
    assertThat(assistant.getString("text")).isEqualTo(text);
    assertThat(assistant.getString("jobId")).isEqualTo("job-\"1");
    assertThat(assistant.getString("role")).isEqualTo("assistant");
  }

  /** Verifies that a message is written as {@code JsonObject.encode()} would write it, byte for byte. */
  @Test
  @DisplayName("A message is written exactly as JsonObject.encode() writes it")
  void writesWhatEncodeWrites() {
    String text = "line\nquote\" backslash\\ tab\t ctrl\u001f unicode é 😀 </script>";
    String written = MessageJson.openUser("m1", "c1", text, 9, "now", null) + "3}";
    assertThat(written).isEqualTo(new JsonObject().put("id", "m1").put("chatId", "c1").put("role", "user")
        .put("text", text).put("tokens", 9).put("createdAt", "now").put("seq", 3).encode());
  }

  /** Verifies that an opened object, completed with a value, parses back, also when it was empty. */
  @Test
  @DisplayName("An opened object completed by a script parses back with the new field")
  void openedObjectCompletesToValidJson() {
    JsonObject reply = new JsonObject().put("jobId", "j").put("usage", new JsonObject().put("a", "}"));
    assertThat(new JsonObject(MessageJson.openField(reply, "message") + "{\"a\":1}}"))
        .isEqualTo(reply.copy().put("message", new JsonObject().put("a", 1)));
    assertThat(new JsonObject(MessageJson.openField(new JsonObject(), "message") + "{\"a\":1}}"))
        .isEqualTo(new JsonObject().put("message", new JsonObject().put("a", 1)));
  }
}
