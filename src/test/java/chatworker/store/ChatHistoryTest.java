package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The history a start returns is always the chat's newest messages as Redis holds them, however much
 * of it the node kept from earlier jobs (see {@link ChatHistory}).
 */
class ChatHistoryTest {

  @RegisterExtension
  static final StoreHarness node = StoreHarness.onItsOwnRedis();

  static StoreHarness otherNode;

  @BeforeAll
  static void openAnotherNode() {
    otherNode = node.anotherNode();
  }

  /** The texts of the chat's {@code limit} newest messages, read straight from its list. */
  private static List<String> newestTexts(String chatId, int limit) {
    List<JsonObject> all = await(node.chats.listMessages(chatId, ChatStore.MAX_PAGE, 0, deadline()));
    return all.subList(Math.max(0, all.size() - limit), all.size()).stream().map(m -> m.getString("text")).toList();
  }

  /** Starts a job with {@code limit} and user text {@code text} on {@code store}, then frees the chat. */
  private static List<String> historyOfAJob(StoreHarness store, String chatId, int limit, String text) {
    String token = token();
    StartOutcome started = await(store.jobs.start(new StartRequest(chatId, "job-" + token, token, "node",
        30_000, text, Instant.now().toString(), limit), deadline()));
    assertThat(started.status()).isEqualTo(StartOutcome.Status.STARTED);
    assertThat(await(store.lock.release(chatId, token, deadline()))).isTrue();
    return started.history().stream().map(HistoryMessage::text).toList();
  }

  private static void append(StoreHarness store, String chatId, String prefix, int count) {
    for (int i = 1; i <= count; i++) {
      await(store.chats.appendUserMessage(chatId, prefix + i, null, deadline()));
    }
  }

  /**
   * Verifies that a node's later jobs on a chat see exactly the newest messages when another node
   * appended a few in between, when it appended more than one tail read returns, and when a job asks
   * for a longer window than the node kept.
   */
  @Test
  @DisplayName("A kept history follows what other nodes appended, and a longer window is read in full")
  void keptHistoryFollowsOtherNodesAppends() {
    String chatId = node.newChat();
    append(node, chatId, "a", 6);
    assertThat(historyOfAJob(node, chatId, 3, "first")).containsExactlyElementsOf(newestTexts(chatId, 3))
        .containsExactly("a5", "a6", "first");

    append(otherNode, chatId, "b", 2);
    assertThat(historyOfAJob(node, chatId, 3, "second")).containsExactly("b1", "b2", "second");

    append(otherNode, chatId, "c", 20);
    assertThat(historyOfAJob(node, chatId, 3, "third")).containsExactly("c19", "c20", "third");

    assertThat(historyOfAJob(node, chatId, 10, null)).containsExactlyElementsOf(newestTexts(chatId, 10));
    assertThat(historyOfAJob(otherNode, chatId, 1, "fourth")).containsExactly("fourth");
    assertThat(historyOfAJob(node, chatId, 10, null)).containsExactlyElementsOf(newestTexts(chatId, 10))
        .endsWith("c20", "third", "fourth");
  }

  /**
   * Verifies that a node does not serve kept messages that Redis no longer holds: the chat's list is
   * rebuilt with other messages under the same seqs (as after a restore that lost writes), and the
   * next job sees the new ones.
   */
  @Test
  @DisplayName("When Redis lost writes and seqs were reused, the kept history is dropped, not served")
  void keptHistoryIsDroppedWhenRedisLostWrites() {
    String chatId = node.newChat();
    append(node, chatId, "old", 5);
    assertThat(historyOfAJob(node, chatId, 3, null)).containsExactly("old3", "old4", "old5");

    node.server().command("DEL", Keys.messages(chatId));
    node.server().command("HSET", Keys.chat(chatId), "seq", "0");
    append(otherNode, chatId, "new", 7);

    assertThat(historyOfAJob(node, chatId, 3, null)).containsExactly("new5", "new6", "new7");
  }
}
