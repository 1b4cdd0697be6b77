package chatworker.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MessageJsonTest {

  /**
   * Verifies that an opened object, completed the way the scripts complete it (value + "}"), parses
   * back to the object with the new field, also when the object was empty.
   */
  @Test
  @DisplayName("An opened object completed by a script parses back with the new field")
  void openedObjectCompletesToValidJson() {
    JsonObject message = MessageJson.user("m1", "c1", "say \"hi\" }", 4, "2026-01-01T00:00:00Z",
        new JsonObject().put("k", "}"));
    assertThat(new JsonObject(MessageJson.openField(message, "seq") + "7}"))
        .isEqualTo(message.copy().put("seq", 7));
    assertThat(new JsonObject(MessageJson.openField(new JsonObject(), "message") + "{\"a\":1}}"))
        .isEqualTo(new JsonObject().put("message", new JsonObject().put("a", 1)));
  }

  /** Verifies that messages carry exactly the contract's fields, their token count, and metadata or jobId. */
  @Test
  @DisplayName("Messages carry exactly the contract's fields and their token count")
  void messagesCarryTheContractsFields() {
    assertThat(MessageJson.user("m1", "c1", "t", 1, "now", null).fieldNames())
        .containsExactly("id", "chatId", "role", "text", "tokens", "createdAt");
    assertThat(MessageJson.assistant("m2", "c1", "t", 1, "now", "job-1").fieldNames())
        .containsExactly("id", "chatId", "role", "text", "tokens", "createdAt", "jobId");
  }
}
