package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.failureOf;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** JobStore.finish, the ChatLock (renew, release, holder) and JobLookup.get. */
class JobStoreLockTest {

  @RegisterExtension
  static final StoreHarness store = StoreHarness.onItsOwnRedis();

  private JsonObject job(String jobId) {
    return await(store.lookup.get(jobId, deadline()));
  }

  private static JsonObject error(String code) {
    return new JsonObject().put("code", code).put("message", "it went wrong");
  }

  /** Verifies that finish records failed with its error, frees the chat, and is safe to repeat. */
  @Test
  @DisplayName("Finish records the failure and frees the chat, also when repeated")
  void finishRecordsTheFailureAndFreesTheChat() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));

    await(store.jobs.finish(chatId, "job-1", token, "failed", error("MODEL_ERROR"), deadline()));
    await(store.jobs.finish(chatId, "job-1", token, "failed", error("MODEL_ERROR"), deadline()));

    assertThat(job("job-1")).isEqualTo(new JsonObject().put("jobId", "job-1").put("chatId", chatId)
        .put("status", "failed").put("node", "node-a").put("error", error("MODEL_ERROR")));
    assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
  }

  /** Verifies that finish never overwrites a job that succeeded. */
  @Test
  @DisplayName("Finish leaves a succeeded job alone")
  void finishLeavesASucceededJobAlone() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-2", token, "hi"), deadline()));
    await(store.jobs.commit(commit(chatId, "job-2", token, "done"), deadline()));

    await(store.jobs.finish(chatId, "job-2", token, "cancelled", error("CANCELLED"), deadline()));

    JsonObject job = job("job-2");
    assertThat(job.getString("status")).isEqualTo("succeeded");
    assertThat(job.containsKey("error")).isFalse();
  }

  /**
   * Verifies that finish with a token that is not the holder's neither frees the chat nor touches the
   * record of the run that holds it.
   */
  @Test
  @DisplayName("Finish with another token changes nothing")
  void finishWithAnotherTokenChangesNothing() {
    String chatId = store.newChat();
    String holder = token();
    await(store.jobs.start(start(chatId, "job-3", holder, null), deadline()));

    await(store.jobs.finish(chatId, "job-3", token(), "cancelled", error("CANCELLED"), deadline()));

    assertThat(job("job-3").getString("status")).isEqualTo("running");
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(holder);
  }

  /** Verifies that finish only accepts failed and cancelled. */
  @Test
  @DisplayName("Finish refuses any status but failed and cancelled")
  void finishRefusesOtherStatuses() {
    assertThat(failureOf(store.jobs.finish("c", "j", token(), "succeeded", null, deadline())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Verifies that renewLock extends the lease only for the holder, and answers false once the lock
   * expired or belongs to another token.
   */
  @Test
  @DisplayName("Only the holder renews the lock")
  void onlyTheHolderRenewsTheLock() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-4", token, null, 2_000), deadline()));

    assertThat(await(store.lock.renew(chatId, token, 60_000, deadline()))).isTrue();
    assertThat(Long.parseLong(store.server().command("PTTL", Keys.lock(chatId)))).isGreaterThan(2_000);
    assertThat(await(store.lock.renew(chatId, token(), 60_000, deadline()))).isFalse();

    assertThat(await(store.lock.renew(chatId, token, 50, deadline()))).isTrue();
    Await.until(() -> await(store.lock.holder(chatId, deadline())) == null, Duration.ofSeconds(5),
        "the shortened lease to run out");
    assertThat(await(store.lock.renew(chatId, token, 60_000, deadline()))).isFalse();
    assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
  }

  /** Verifies that releaseLock is compare-and-delete: only the holder's token frees the chat. */
  @Test
  @DisplayName("Only the holder releases the lock")
  void onlyTheHolderReleasesTheLock() {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-5", token, null), deadline()));

    assertThat(await(store.lock.release(chatId, token(), deadline()))).isFalse();
    assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(token);
    assertThat(await(store.lock.release(chatId, token, deadline()))).isTrue();
    assertThat(await(store.lock.release(chatId, token, deadline()))).isFalse();
    assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
  }

  /** Verifies that getJob answers null for a job id that never started. */
  @Test
  @DisplayName("Getting an unknown job gives null")
  void unknownJobIsNull() {
    assertThat(job("never-started")).isNull();
  }

  /**
   * Verifies that a job id reused on another chat is found there once it started there: the index
   * points to the chat where the job id last started.
   */
  @Test
  @DisplayName("The job index follows the chat where the job id last started")
  void jobIndexFollowsTheLatestStart() {
    String typo = "no-such-chat";
    assertThat(await(store.jobs.start(start(typo, "job-6", token(), "hi"), deadline())).status())
        .isEqualTo(StartOutcome.Status.NOT_FOUND);
    assertThat(job("job-6")).isNull();

    String chatId = store.newChat();
    assertThat(await(store.jobs.start(start(chatId, "job-6", token(), "hi"), deadline())).status())
        .isEqualTo(StartOutcome.Status.STARTED);
    assertThat(job("job-6").getString("chatId")).isEqualTo(chatId);
  }
}
