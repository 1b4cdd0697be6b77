package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.model.Tokenizer;
import chatworker.store.AppendOutcome.Status;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChatStoreTest {

  @RegisterExtension
  static final StoreHarness store = StoreHarness.onItsOwnRedis();

  private JsonObject assistant() {
    return await(store.assistants.create(new JsonObject().put("name", "helper"), deadline()));
  }

  /**
   * Verifies that create returns the contract's chat with messageCount 0 and the metadata, and that get
   * reads the same back.
   */
  @Test
  @DisplayName("A created chat reads back with its name, metadata and messageCount")
  void createdChatReadsBack() {
    JsonObject assistant = assistant();
    JsonObject metadata = new JsonObject().put("customer", 42);
    JsonObject chat = await(store.chats.create(assistant, "support", metadata, deadline()));

    assertThat(chat.fieldNames()).containsExactlyInAnyOrder("id", "assistantId", "name", "createdAt",
        "messageCount", "metadata");
    assertThat(chat.getString("assistantId")).isEqualTo(assistant.getString("id"));
    assertThat(chat.getString("name")).isEqualTo("support");
    assertThat(chat.getLong("messageCount")).isZero();
    assertThat(chat.getJsonObject("metadata")).isEqualTo(metadata);
    assertThat(Instant.parse(chat.getString("createdAt"))).isNotNull();
    assertThat(await(store.chats.get(chat.getString("id"), deadline()))).isEqualTo(chat);
  }

  /** Verifies that a chat without a name gets "" and one without metadata has no metadata field. */
  @Test
  @DisplayName("A chat without name or metadata has name \"\" and no metadata")
  void chatWithoutNameOrMetadata() {
    JsonObject chat = await(store.chats.create(assistant(), null, null, deadline()));
    assertThat(chat.getString("name")).isEmpty();
    assertThat(chat.containsKey("metadata")).isFalse();
    assertThat(await(store.chats.get(chat.getString("id"), deadline()))).isEqualTo(chat);
  }

  /** Verifies that get answers null for a chat that does not exist. */
  @Test
  @DisplayName("Getting an unknown chat gives null")
  void unknownChatIsNull() {
    assertThat(await(store.chats.get("no-such-chat", deadline()))).isNull();
  }

  /**
   * Verifies that appended messages have exactly the contract's fields (plus metadata when given), take
   * seq 1, 2, … and count in messageCount.
   */
  @Test
  @DisplayName("Appended user messages take the next seq and count in messageCount")
  void appendedMessagesTakeTheNextSeq() {
    String chatId = store.newChat();
    AppendOutcome first = await(store.chats.appendUserMessage(chatId, "hello \"world\" ü", null,
        deadline()));
    AppendOutcome second = await(store.chats.appendUserMessage(chatId, "again",
        new JsonObject().put("source", "web"), deadline()));

    assertThat(first.status()).isEqualTo(Status.APPENDED);
    assertThat(first.message().fieldNames()).containsExactlyInAnyOrder("id", "chatId", "role", "text",
        "tokens", "createdAt", "seq");
    assertThat(first.message().getInteger("tokens")).isEqualTo(Tokenizer.count("hello \"world\" ü"));
    assertThat(first.message().getString("text")).isEqualTo("hello \"world\" ü");
    assertThat(first.message().getString("role")).isEqualTo("user");
    assertThat(first.message().getString("chatId")).isEqualTo(chatId);
    assertThat(first.message().getLong("seq")).isEqualTo(1L);
    assertThat(second.message().getLong("seq")).isEqualTo(2L);
    assertThat(second.message().getJsonObject("metadata")).isEqualTo(new JsonObject().put("source", "web"));
    assertThat(await(store.chats.get(chatId, deadline())).getLong("messageCount")).isEqualTo(2L);
    assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline())))
        .containsExactly(first.message(), second.message());
  }

  /** Verifies that appending to a chat that does not exist answers NOT_FOUND and writes nothing. */
  @Test
  @DisplayName("Appending to an unknown chat is NOT_FOUND and writes nothing")
  void appendToUnknownChatIsNotFound() {
    AppendOutcome outcome = await(store.chats.appendUserMessage("ghost-chat", "hi", null, deadline()));
    assertThat(outcome).isEqualTo(new AppendOutcome(Status.NOT_FOUND, null));
    assertThat(store.server().command("EXISTS", Keys.chat("ghost-chat"), Keys.messages("ghost-chat")))
        .isEqualTo("0");
  }

  /** Verifies that while a generation holds the chat, appending answers LOCKED and writes nothing. */
  @Test
  @DisplayName("Appending while a generation holds the chat is LOCKED")
  void appendWhileLockedIsLocked() {
    String chatId = store.newChat();
    String token = StoreHarness.token();
    await(store.jobs.start(StoreHarness.start(chatId, "job-1", token, null), deadline()));

    AppendOutcome outcome = await(store.chats.appendUserMessage(chatId, "hi", null, deadline()));
    assertThat(outcome).isEqualTo(new AppendOutcome(Status.LOCKED, null));
    assertThat(await(store.chats.get(chatId, deadline())).getLong("messageCount")).isZero();

    await(store.lock.release(chatId, token, deadline()));
    assertThat(await(store.chats.appendUserMessage(chatId, "hi", null, deadline())).status())
        .isEqualTo(Status.APPENDED);
  }

  /**
   * Verifies that listMessages pages forward: at most limit messages with seq > afterSeq, oldest first,
   * an empty page past the end, and null for a chat that does not exist.
   */
  @Test
  @DisplayName("Messages page forward by limit and afterSeq")
  void messagesPageForward() {
    String chatId = store.newChat();
    for (int i = 1; i <= 25; i++) {
      await(store.chats.appendUserMessage(chatId, "m" + i, null, deadline()));
    }
    assertThat(seqs(chatId, 10, 0)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(seqs(chatId, 10, 10)).containsExactly(11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L);
    assertThat(seqs(chatId, 10, 20)).containsExactly(21L, 22L, 23L, 24L, 25L);
    assertThat(seqs(chatId, 1, 24)).containsExactly(25L);
    assertThat(seqs(chatId, 1000, 0)).hasSize(25);
    assertThat(seqs(chatId, 10, 25)).isEmpty();
    assertThat(seqs(chatId, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(await(store.chats.listMessages(chatId, 3, 0, deadline())))
        .extracting(m -> m.getString("text")).containsExactly("m1", "m2", "m3");
    assertThat(await(store.chats.listMessages("no-such-chat", 10, 0, deadline()))).isNull();
    assertThat(await(store.chats.listMessages(store.newChat(), 10, 0, deadline()))).isEmpty();
  }

  /** Verifies that a limit outside 1..1000 or a negative afterSeq fails the call without touching Redis. */
  @Test
  @DisplayName("A page limit outside 1..1000 is refused")
  void pageLimitOutOfRangeIsRefused() {
    assertThat(failureOf(store.chats.listMessages("c", 0, 0, deadline())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failureOf(store.chats.listMessages("c", 1001, 0, deadline())))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failureOf(store.chats.listMessages("c", 10, -1, deadline())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Verifies the snapshot rule: a chat keeps its assistant as it was when the chat was created, and a
   * generation on it still starts after the assistant was deleted.
   */
  @Test
  @DisplayName("A chat keeps its assistant snapshot after the assistant is deleted")
  void chatKeepsItsAssistantSnapshot() {
    JsonObject assistant = assistant();
    String chatId = await(store.chats.create(assistant, "c", null, deadline())).getString("id");
    assertThat(await(store.assistants.delete(assistant.getString("id"), deadline()))).isTrue();

    StartOutcome started = await(store.jobs.start(StoreHarness.start(chatId, "job-1", StoreHarness.token(),
        "hi"), deadline()));
    assertThat(started.status()).isEqualTo(StartOutcome.Status.STARTED);
    assertThat(started.assistant()).isEqualTo(assistant);
    assertThat(await(store.chats.get(chatId, deadline())).getString("assistantId"))
        .isEqualTo(assistant.getString("id"));
  }

  private List<Long> seqs(String chatId, int limit, long afterSeq) {
    return await(store.chats.listMessages(chatId, limit, afterSeq, deadline())).stream()
        .map(m -> m.getLong("seq")).toList();
  }
}
