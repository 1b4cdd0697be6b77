package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.deadline;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AssistantStoreTest {

  @RegisterExtension
  static final StoreHarness store = StoreHarness.onItsOwnRedis();

  /**
   * Verifies that create adds an id and createdAt to the validated body, stores exactly what it returns
   * as one JSON string, and get reads it back.
   */
  @Test
  @DisplayName("A created assistant gets an id and createdAt and reads back as stored")
  void createdAssistantReadsBackAsStored() {
    JsonObject input = new JsonObject().put("name", "helper").put("systemPrompt", "Hi {{user}}")
        .put("model", new JsonObject().put("provider", "builtin").put("name", "builtin"))
        .put("memory", new JsonObject().put("type", "naive").put("maxMessages", 5).put("maxTokens", 100))
        .put("metadata", new JsonObject().put("team", "docs").put("tags", new JsonArray()));
    JsonObject created = await(store.assistants.create(input, deadline()));

    assertThat(created.getString("id")).isNotBlank();
    assertThat(Instant.parse(created.getString("createdAt"))).isNotNull();
    JsonObject rest = created.copy();
    rest.remove("id");
    rest.remove("createdAt");
    assertThat(rest).isEqualTo(input);
    assertThat(input.containsKey("id")).isFalse(); // the caller's object is left alone
    assertThat(await(store.assistants.get(created.getString("id"), deadline()))).isEqualTo(created);
    assertThat(new JsonObject(store.server().command("GET", Keys.assistant(created.getString("id")))))
        .isEqualTo(created);
  }

  /**
   * Verifies that an assistant is stored with its memory complete: the memory policy's defaults fill
   * in what the request left out, so its chats' snapshots never depend on later defaults.
   */
  @Test
  @DisplayName("An assistant is stored with the memory defaults filled in")
  void memoryDefaultsAreStored() {
    JsonObject none = await(store.assistants.create(new JsonObject().put("name", "plain"), deadline()));
    assertThat(none.getJsonObject("memory")).isEqualTo(new JsonObject().put("type", "message_window")
        .put("maxMessages", 20).put("maxTokens", 4_096));
    JsonObject some = await(store.assistants.create(new JsonObject().put("name", "zero")
        .put("memory", new JsonObject().put("type", "zero")), deadline()));
    assertThat(await(store.assistants.get(some.getString("id"), deadline())).getJsonObject("memory"))
        .isEqualTo(new JsonObject().put("type", "zero").put("maxMessages", 20).put("maxTokens", 4_096));
  }

  /** Verifies that get answers null for an assistant that does not exist. */
  @Test
  @DisplayName("Getting an unknown assistant gives null")
  void unknownAssistantIsNull() {
    assertThat(await(store.assistants.get("no-such-assistant", deadline()))).isNull();
  }

  /** Verifies that delete answers true once and false afterwards, and the assistant is gone. */
  @Test
  @DisplayName("Delete answers whether the assistant existed")
  void deleteAnswersWhetherItExisted() {
    String id = await(store.assistants.create(new JsonObject().put("name", "x"), deadline())).getString("id");
    assertThat(await(store.assistants.delete(id, deadline()))).isTrue();
    assertThat(await(store.assistants.delete(id, deadline()))).isFalse();
    assertThat(await(store.assistants.get(id, deadline()))).isNull();
  }
}
