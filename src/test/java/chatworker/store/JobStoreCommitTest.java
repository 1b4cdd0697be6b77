package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.model.Tokenizer;
import chatworker.store.CommitOutcome.Status;
import chatworker.testing.Await;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobStoreCommitTest {

  @RegisterExtension
  static final StoreHarness store = StoreHarness.onItsOwnRedis();

  private List<JsonObject> messages(String chatId) {
    return await(store.chats.listMessages(chatId, 1000, 0, deadline()));
  }

  private void awaitLockExpired(String chatId) {
    Await.until(() -> await(store.lock.holder(chatId, deadline())) == null, Duration.ofSeconds(5),
        "the lock's lease to run out");
  }

  /**
   * Verifies that commit appends the assistant message with the next seq and its jobId, stores the full
   * reply (the reply without message plus message) as the job's result, and frees the chat.
   */
  @Test
  @DisplayName("Commit stores the assistant message and the reply, and frees the chat")
  void commitStoresTheMessageAndTheReply() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));
    CommitRequest request = commit(chatId, "job-1", token, "You said: hi");

    CommitOutcome outcome = await(store.jobs.commit(request, deadline()));

    assertThat(outcome.status()).isEqualTo(Status.COMMITTED);
    JsonObject message = outcome.reply().getJsonObject("message");
    assertThat(message).isEqualTo(new JsonObject().put("id", request.assistantMessageId())
        .put("chatId", chatId).put("role", "assistant").put("text", "You said: hi")
        .put("tokens", Tokenizer.count("You said: hi")).put("createdAt", request.now()).put("seq", 2).put("jobId", "job-1"));
    JsonObject withoutMessage = outcome.reply().copy();
    withoutMessage.remove("message");
    assertThat(withoutMessage).isEqualTo(request.replyWithoutMessage());
    assertThat(messages(chatId)).hasSize(2).last().isEqualTo(message);
    assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
    assertThat(await(store.lookup.get("job-1", deadline()))).isEqualTo(new JsonObject().put("jobId", "job-1")
        .put("chatId", chatId).put("status", "succeeded").put("node", "node-a")
        .put("result", outcome.reply()));
  }

  /**
   * Verifies that one job id never yields two assistant messages: a second commit (a retry after a lost
   * answer) answers ALREADY_SUCCEEDED with the stored reply, and so does a later start of the job.
   */
  @Test
  @DisplayName("One job id never yields two assistant messages")
  void oneJobIdNeverYieldsTwoAssistantMessages() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-2", token, "hi"), deadline()));
    CommitOutcome first = await(store.jobs.commit(commit(chatId, "job-2", token, "answer"), deadline()));

    CommitOutcome retried = await(store.jobs.commit(commit(chatId, "job-2", token, "answer"), deadline()));
    assertThat(retried).isEqualTo(new CommitOutcome(Status.ALREADY_SUCCEEDED, first.reply()));

    StartOutcome restarted = await(store.jobs.start(start(chatId, "job-2", token(), "hi"), deadline()));
    assertThat(restarted.status()).isEqualTo(StartOutcome.Status.ALREADY_SUCCEEDED);
    assertThat(restarted.storedResult()).isEqualTo(first.reply());
    assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
    assertThat(messages(chatId)).extracting(m -> m.getString("role")).containsExactly("user", "assistant");
  }

  /** Verifies that a commit after the lock's lease ran out answers LOCK_LOST and writes nothing. */
  @Test
  @DisplayName("A commit after the lock expired is LOCK_LOST and writes nothing")
  void commitAfterTheLockExpiredIsLockLost() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-3", token, "hi", 50), deadline()));
    awaitLockExpired(chatId);

    CommitOutcome outcome = await(store.jobs.commit(commit(chatId, "job-3", token, "late"), deadline()));

    assertThat(outcome).isEqualTo(new CommitOutcome(Status.LOCK_LOST, null));
    assertThat(messages(chatId)).hasSize(1);
    assertThat(await(store.lookup.get("job-3", deadline())).getString("status")).isEqualTo("running");
  }

  /**
   * Verifies the fence: once another job took the chat after this run's lease ran out, this run's
   * commit answers LOCK_LOST, writes nothing and leaves the other job's lock alone.
   */
  @Test
  @DisplayName("A commit after another job took the chat is LOCK_LOST and writes nothing")
  void commitAfterAnotherJobTookTheChatIsLockLost() {
    String chatId = store.newChat();
    String stale = token();
    await(store.jobs.start(start(chatId, "job-4", stale, "hi", 50), deadline()));
    awaitLockExpired(chatId);
    String fresh = token();
    assertThat(await(store.jobs.start(start(chatId, "job-5", fresh, null), deadline())).status())
        .isEqualTo(StartOutcome.Status.STARTED);

    CommitOutcome outcome = await(store.jobs.commit(commit(chatId, "job-4", stale, "stale"), deadline()));

    assertThat(outcome.status()).isEqualTo(Status.LOCK_LOST);
    assertThat(messages(chatId)).extracting(m -> m.getString("role")).containsExactly("user");
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(fresh);
    assertThat(await(store.lookup.get("job-4", deadline())).getString("status")).isEqualTo("running");
  }

  /**
   * Verifies that when a job was started again after its first run's lease ran out and the second run
   * committed, the stale first run's commit answers ALREADY_SUCCEEDED: still one assistant message.
   */
  @Test
  @DisplayName("A stale run of a job that succeeded meanwhile gets the stored reply")
  void staleRunOfASucceededJobGetsTheStoredReply() {
    String chatId = store.newChat();
    String stale = token();
    await(store.jobs.start(start(chatId, "job-6", stale, "hi", 50), deadline()));
    awaitLockExpired(chatId);
    String second = token();
    await(store.jobs.start(start(chatId, "job-6", second, "hi"), deadline()));
    CommitOutcome committed = await(store.jobs.commit(commit(chatId, "job-6", second, "from run 2"),
        deadline()));

    CommitOutcome late = await(store.jobs.commit(commit(chatId, "job-6", stale, "from run 1"), deadline()));

    assertThat(late).isEqualTo(new CommitOutcome(Status.ALREADY_SUCCEEDED, committed.reply()));
    assertThat(messages(chatId)).extracting(m -> m.getString("text")).containsExactly("hi", "from run 2");
  }

  /** Verifies that texts with quotes, backslashes, newlines and non-ASCII survive the round trip intact. */
  @Test
  @DisplayName("Message text survives the scripts byte for byte")
  void messageTextSurvivesTheScripts() {
    String chatId = store.newChat();
    String token = token();
    String text = "quote \" backslash \\ newline \n tab \t unicode ü 日本 😀 </script> \u0001";
    StartOutcome started = await(store.jobs.start(start(chatId, "job-7", token, text), deadline()));
    CommitOutcome done = await(store.jobs.commit(commit(chatId, "job-7", token, text), deadline()));

    assertThat(started.userMessage().getString("text")).isEqualTo(text);
    assertThat(done.reply().getJsonObject("message").getString("text")).isEqualTo(text);
    assertThat(messages(chatId)).extracting(m -> m.getString("text")).containsExactly(text, text);
  }
}
