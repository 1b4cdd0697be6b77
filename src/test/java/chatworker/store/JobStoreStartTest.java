package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.model.Tokenizer;
import chatworker.store.StartOutcome.Status;
import chatworker.testing.Await;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobStoreStartTest {

  @RegisterExtension
  static final StoreHarness store = StoreHarness.onItsOwnRedis();

  private long messageCount(String chatId) {
    return await(store.chats.get(chatId, deadline())).getLong("messageCount");
  }

  /**
   * Verifies that start takes the lock with its token, writes a running job record, appends the user
   * text with the next seq, and answers STARTED with the assistant snapshot and the history.
   */
  @Test
  @DisplayName("Start takes the lock, records the job, appends the text and returns the history")
  void startTakesTheLockAndReturnsTheHistory() {
    String chatId = store.newChat();
    await(store.chats.appendUserMessage(chatId, "earlier", null, deadline()));
    String token = token();

    StartOutcome outcome = await(store.jobs.start(start(chatId, "job-1", token, "what is Redis?"),
        deadline()));

    assertThat(outcome.status()).isEqualTo(Status.STARTED);
    assertThat(outcome.assistant().getString("name")).isEqualTo("helper");
    JsonObject user = outcome.userMessage();
    assertThat(user.fieldNames())
        .containsExactlyInAnyOrder("id", "chatId", "role", "text", "tokens", "createdAt", "seq");
    assertThat(user.getInteger("tokens")).isEqualTo(Tokenizer.count("what is Redis?"));
    assertThat(user.getString("text")).isEqualTo("what is Redis?");
    assertThat(user.getLong("seq")).isEqualTo(2L);
    assertThat(outcome.history()).extracting(HistoryMessage::text)
        .containsExactly("earlier", "what is Redis?");
    assertThat(outcome.history().get(1)).isEqualTo(new HistoryMessage(2, "user",
        "what is Redis?", Tokenizer.count("what is Redis?")));
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(token);
    JsonObject job = await(store.lookup.get("job-1", deadline()));
    assertThat(job).isEqualTo(new JsonObject().put("jobId", "job-1").put("chatId", chatId)
        .put("status", "running").put("node", "node-a"));
    long pttl = Long.parseLong(store.server().command("PTTL", Keys.lock(chatId)));
    assertThat(pttl).isBetween(1L, StoreHarness.LEASE_MS);
  }

  /** Verifies that start without text appends nothing and the history holds at most historyLimit messages. */
  @Test
  @DisplayName("Start without text appends nothing and reads at most historyLimit messages")
  void startReadsABoundedHistory() {
    String chatId = store.newChat();
    for (int i = 1; i <= 5; i++) {
      await(store.chats.appendUserMessage(chatId, "m" + i, null, deadline()));
    }
    StartOutcome three = await(store.jobs.start(new StartRequest(chatId, "job-3", token(), "node-a", 30_000,
        null, Instant.now().toString(), 3), deadline()));
    assertThat(three.userMessage()).isNull();
    assertThat(three.history()).extracting(HistoryMessage::text).containsExactly("m3", "m4", "m5");
    assertThat(messageCount(chatId)).isEqualTo(5L);

    String other = store.newChat();
    StartOutcome none = await(store.jobs.start(new StartRequest(other, "job-0", token(), "node-a", 30_000,
        "hi", Instant.now().toString(), 0), deadline()));
    assertThat(none.history()).isEmpty();
    assertThat(none.userMessage().getLong("seq")).isEqualTo(1L);
  }

  /**
   * Verifies that a start asked for what the memory keeps reads the assistant's window: on the first
   * start of a chat (snapshot read from Redis) and on later ones (snapshot kept by the store), for
   * each memory type.
   */
  @Test
  @DisplayName("FROM_MEMORY reads the assistant's window, first start and later ones alike")
  void fromMemoryFollowsTheAssistantsWindow() {
    for (JsonObject memory : List.of(new JsonObject().put("type", "message_window").put("maxMessages", 3),
        new JsonObject().put("type", "zero"), new JsonObject().put("type", "naive"))) {
      JsonObject assistant = await(store.assistants.create(new JsonObject().put("name", "m")
          .put("memory", memory), deadline()));
      String chatId = await(store.chats.create(assistant, "c", null, deadline())).getString("id");
      for (int i = 1; i <= 5; i++) {
        await(store.chats.appendUserMessage(chatId, "m" + i, null, deadline()));
      }
      List<String> expected = switch (memory.getString("type")) {
        case "zero" -> List.of("m6");
        case "naive" -> List.of("m1", "m2", "m3", "m4", "m5", "m6");
        default -> List.of("m4", "m5", "m6");
      };
      String firstRun = token();
      StartOutcome first = await(store.jobs.start(fromMemory(chatId, "first", firstRun, "m6"), deadline()));
      assertThat(first.assistant().getString("id")).isEqualTo(assistant.getString("id"));
      assertThat(first.history()).extracting(HistoryMessage::text).as("first " + memory.encode())
          .containsExactlyElementsOf(expected);
      assertThat(await(store.lock.release(chatId, firstRun, deadline()))).isTrue();

      StartOutcome second = await(store.jobs.start(fromMemory(chatId, "second", token(), null), deadline()));
      assertThat(second.status()).isEqualTo(Status.STARTED);
      assertThat(second.assistant()).isEqualTo(first.assistant());
      assertThat(second.history()).extracting(HistoryMessage::text).as("second " + memory.encode())
          .containsExactlyElementsOf(expected);
    }
  }

  private static StartRequest fromMemory(String chatId, String jobId, String token, String text) {
    return new StartRequest(chatId, jobId, token, "node-a", 30_000, text, Instant.now().toString(),
        StartRequest.FROM_MEMORY);
  }

  /** Verifies that start on a chat that does not exist answers NOT_FOUND and takes no lock. */
  @Test
  @DisplayName("Start on an unknown chat is NOT_FOUND")
  void startOnUnknownChatIsNotFound() {
    StartOutcome outcome = await(store.jobs.start(start("ghost", "job-g", token(), "hi"), deadline()));
    assertThat(outcome.status()).isEqualTo(Status.NOT_FOUND);
    assertThat(store.server().command("EXISTS", Keys.lock("ghost"), Keys.jobs("ghost"),
        Keys.jobExpiry("ghost"), Keys.chat("ghost"), Keys.messages("ghost"))).isEqualTo("0");
    assertThat(await(store.lookup.get("job-g", deadline()))).isNull();
  }

  /**
   * Verifies that a finish on a chat that does not exist (a generate for a wrong chat id that timed
   * out before its start answered) writes nothing: no start there could take anything, and a record
   * there would never be forgotten.
   */
  @Test
  @DisplayName("Finish on an unknown chat writes nothing")
  void finishOnUnknownChatWritesNothing() {
    await(store.jobs.finish("ghost-2", "job-g2", token(), "failed", null, deadline()));
    assertThat(store.server().command("EXISTS", Keys.jobs("ghost-2"), Keys.jobExpiry("ghost-2"),
        Keys.lock("ghost-2"), Keys.chat("ghost-2"))).isEqualTo("0");
  }

  /**
   * Verifies that a run whose finish reached Redis before its start (the caller gave up while the
   * start was on its way) takes nothing when the start lands: ENDED, no lock, no message, and no job
   * to report (the record holds only the run's ended mark, for a minute).
   */
  @Test
  @DisplayName("A start that lands after its run's finish takes nothing")
  void startAfterItsOwnFinishTakesNothing() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.finish(chatId, "job-late", token, "failed",
        new JsonObject().put("code", "TIMEOUT"), deadline()));

    StartOutcome outcome = await(store.jobs.start(start(chatId, "job-late", token, "too late"), deadline()));

    assertThat(outcome.status()).isEqualTo(Status.ENDED);
    assertThat(store.server().command("EXISTS", Keys.lock(chatId))).isEqualTo("0");
    JobRecord record = StoreHarness.record(store.server(), chatId, "job-late");
    assertThat(record.status()).isEmpty();
    assertThat(record.ended()).isEqualTo(token);
    assertThat(StoreHarness.secondsToExpiry(store.server(), chatId, "job-late"))
        .isBetween(1L, JobStore.ENDED_RUN_TTL_SECONDS);
    assertThat(await(store.lookup.get("job-late", deadline()))).isNull();
    assertThat(messageCount(chatId)).isZero();
    StartOutcome fresh = await(store.jobs.start(start(chatId, "job-late", token(), "a new run"), deadline()));
    assertThat(fresh.status()).isEqualTo(Status.STARTED);
  }

  /** Verifies that while another job holds the chat, start answers LOCKED and writes nothing. */
  @Test
  @DisplayName("Start while another job holds the chat is LOCKED")
  void startWhileAnotherJobHoldsTheChatIsLocked() {
    String chatId = store.newChat();
    String holder = token();
    await(store.jobs.start(start(chatId, "job-a", holder, "first"), deadline()));

    StartOutcome outcome = await(store.jobs.start(start(chatId, "job-b", token(), "second"), deadline()));
    assertThat(outcome.status()).isEqualTo(Status.LOCKED);
    assertThat(messageCount(chatId)).isEqualTo(1L);
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(holder);
    assertThat(await(store.lookup.get("job-b", deadline()))).isNull();
  }

  /** Verifies that a second start of a job that is running under a live lock answers RUNNING. */
  @Test
  @DisplayName("Start of a job that is running elsewhere is RUNNING")
  void startOfARunningJobIsRunning() {
    String chatId = store.newChat();
    String first = token();
    await(store.jobs.start(start(chatId, "job-r", first, "hi"), deadline()));

    StartOutcome outcome = await(store.jobs.start(start(chatId, "job-r", token(), "hi"), deadline()));
    assertThat(outcome.status()).isEqualTo(Status.RUNNING);
    assertThat(outcome.runningOn()).isEqualTo("node-a");
    assertThat(messageCount(chatId)).isEqualTo(1L);
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(first);
  }

  /**
   * Verifies that a start naming the node that holds a running job's lock as departed takes the run
   * over: STARTED with the first run's user message (not appended again), the lock on the new token,
   * the record on the new node; the old run's commit then loses (LOCK_LOST) and the new one commits.
   * Naming another node changes nothing (RUNNING).
   */
  @Test
  @DisplayName("Start taking over from the departed node that runs the job: the old run can no longer commit")
  void startTakesOverARunOfADepartedNode() {
    String chatId = store.newChat();
    String first = token();
    await(store.jobs.start(start(chatId, "job-t", first, "hi"), deadline()));
    String second = token();
    StartRequest resend = new StartRequest(chatId, "job-t", second, "node-b", StoreHarness.LEASE_MS, "hi",
        Instant.now().toString(), StartRequest.FROM_MEMORY);

    assertThat(await(store.jobs.start(resend.takingOverFrom("node-z"), deadline())).status())
        .as("a node other than the runner").isEqualTo(Status.RUNNING);
    StartOutcome taken = await(store.jobs.start(resend.takingOverFrom("node-a"), deadline()));

    assertThat(taken.status()).isEqualTo(Status.STARTED);
    assertThat(taken.userMessage().getString("text")).isEqualTo("hi");
    assertThat(messageCount(chatId)).as("the user message, appended once").isEqualTo(1L);
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(second);
    assertThat(await(store.lookup.get("job-t", deadline())).getString("node")).isEqualTo("node-b");
    assertThat(await(store.jobs.commit(StoreHarness.commit(chatId, "job-t", first, "old"), deadline())).status())
        .isEqualTo(CommitOutcome.Status.LOCK_LOST);
    assertThat(await(store.jobs.commit(StoreHarness.commit(chatId, "job-t", second, "new"), deadline())).status())
        .isEqualTo(CommitOutcome.Status.COMMITTED);
    assertThat(messageCount(chatId)).isEqualTo(2L);
  }

  /**
   * Verifies that start is safe to repeat with the same token (what a retry after a lost reply does):
   * it answers STARTED again with the same user message and appends nothing more.
   */
  @Test
  @DisplayName("A repeated start with the same token replays STARTED without a second message")
  void repeatedStartWithTheSameTokenReplays() {
    String chatId = store.newChat();
    String token = token();
    StartOutcome first = await(store.jobs.start(start(chatId, "job-x", token, "hi"), deadline()));
    StartOutcome again = await(store.jobs.start(start(chatId, "job-x", token, "hi"), deadline()));

    assertThat(again.status()).isEqualTo(Status.STARTED);
    assertThat(again.userMessage()).isEqualTo(first.userMessage());
    assertThat(again.history()).isEqualTo(first.history());
    assertThat(messageCount(chatId)).isEqualTo(1L);
  }

  /**
   * Verifies that a failed job may start again: the record is overwritten as running for the new run,
   * its old error is gone, and its user text is not appended a second time.
   */
  @Test
  @DisplayName("A failed job starts again without appending its text twice")
  void failedJobStartsAgain() {
    String chatId = store.newChat();
    String firstRun = token();
    StartOutcome first = await(store.jobs.start(start(chatId, "job-f", firstRun, "hi"), deadline()));
    await(store.jobs.finish(chatId, "job-f", firstRun, "failed",
        new JsonObject().put("code", "MODEL_ERROR").put("message", "boom"), deadline()));

    String secondRun = token();
    StartOutcome second = await(store.jobs.start(new StartRequest(chatId, "job-f", secondRun, "node-b",
        30_000, "hi", Instant.now().toString(), 20), deadline()));
    assertThat(second.status()).isEqualTo(Status.STARTED);
    assertThat(second.userMessage()).isEqualTo(first.userMessage());
    assertThat(messageCount(chatId)).isEqualTo(1L);
    assertThat(await(store.lookup.get("job-f", deadline()))).isEqualTo(new JsonObject().put("jobId", "job-f")
        .put("chatId", chatId).put("status", "running").put("node", "node-b"));
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(secondRun);
  }

  /** Verifies that a cancelled job may start again too. */
  @Test
  @DisplayName("A cancelled job starts again")
  void cancelledJobStartsAgain() {
    String chatId = store.newChat();
    String firstRun = token();
    await(store.jobs.start(start(chatId, "job-c", firstRun, null), deadline()));
    await(store.jobs.finish(chatId, "job-c", firstRun, "cancelled", null, deadline()));

    StartOutcome again = await(store.jobs.start(start(chatId, "job-c", token(), null), deadline()));
    assertThat(again.status()).isEqualTo(Status.STARTED);
  }

  /**
   * Verifies that a job whose node died (its record still says running, its lock expired) may start
   * again: a dead run does not make its job id answer RUNNING until the record expires.
   */
  @Test
  @DisplayName("A job whose node died starts again once its lock expired")
  void jobOfADeadNodeStartsAgain() {
    String chatId = store.newChat();
    await(store.jobs.start(start(chatId, "job-d", token(), "hi", 50), deadline()));
    Await.until(() -> await(store.lock.holder(chatId, deadline())) == null, Duration.ofSeconds(5),
        "the dead run's lock to expire");

    String token = token();
    StartOutcome again = await(store.jobs.start(start(chatId, "job-d", token, "hi"), deadline()));
    assertThat(again.status()).isEqualTo(Status.STARTED);
    assertThat(messageCount(chatId)).isEqualTo(1L);
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(token);
  }

  /** Verifies that a history limit above 1000 or a lease below 1 ms fails the call without touching Redis. */
  @Test
  @DisplayName("An out-of-range history limit or lease is refused")
  void outOfRangeArgumentsAreRefused() {
    assertThat(StoreHarness.failureOf(store.jobs.start(new StartRequest("c", "j", token(), "n", 1000, null,
        Instant.now().toString(), 1001), deadline()))).isInstanceOf(IllegalArgumentException.class);
    assertThat(StoreHarness.failureOf(store.jobs.start(new StartRequest("c", "j", token(), "n", 0, null,
        Instant.now().toString(), 10), deadline()))).isInstanceOf(IllegalArgumentException.class);
  }
}
