package chatworker.store;

import static chatworker.store.StoreHarness.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobStoreExpiryTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private long ttl(String key) {
    return Long.parseLong(redisServer.server().command("TTL", key));
  }

  /**
   * Verifies that the job record and the job index get the configured TTL at start and keep one after
   * commit and finish, so no job outlives jobTtlSeconds; chat data has no TTL.
   */
  @Test
  @DisplayName("Job records and the job index carry the job TTL")
  void jobRecordsAndIndexCarryTheTtl() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 600)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));
      assertThat(ttl(Keys.job(chatId, "job-1"))).isBetween(590L, 600L);
      assertThat(ttl(Keys.jobIndex("job-1"))).isBetween(590L, 600L);
      await(store.jobs.commit(commit(chatId, "job-1", token, "ok"), deadline()));
      assertThat(ttl(Keys.job(chatId, "job-1"))).isBetween(590L, 600L);

      String other = token();
      await(store.jobs.start(start(chatId, "job-2", other, null), deadline()));
      await(store.jobs.finish(chatId, "job-2", other, "failed", new JsonObject().put("code", "TIMEOUT"),
          deadline()));
      assertThat(ttl(Keys.job(chatId, "job-2"))).isBetween(590L, 600L);
      assertThat(ttl(Keys.jobIndex("job-2"))).isBetween(590L, 600L);
      assertThat(ttl(Keys.chat(chatId))).isEqualTo(-1L);
      assertThat(ttl(Keys.messages(chatId))).isEqualTo(-1L);
    }
  }

  /** Verifies that once the TTL ran out the record and the index are gone and getJob answers null. */
  @Test
  @DisplayName("An expired job is gone")
  void expiredJobIsGone() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 1)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-3", token, "hi"), deadline()));
      await(store.jobs.commit(commit(chatId, "job-3", token, "ok"), deadline()));
      assertThat(await(store.jobs.getJob("job-3", deadline()))).isNotNull();

      Await.until(() -> redisServer.server().command("EXISTS", Keys.job(chatId, "job-3"),
          Keys.jobIndex("job-3")).equals("0"), Duration.ofSeconds(10), "the job's keys to expire");
      assertThat(await(store.jobs.getJob("job-3", deadline()))).isNull();
      assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline()))).hasSize(2);
    }
  }

  /**
   * Verifies that a job that ran longer than half the TTL gets its record's TTL set again by the
   * commit, also when the record expired meanwhile: the record never lives for ever. (A job that
   * started moments ago keeps the TTL its start set: see the first test.)
   */
  @Test
  @DisplayName("A commit after more than half a TTL sets the record's TTL again")
  void longJobGetsItsTtlSetAgain() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 600)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-4", token, "hi"), deadline()));
      redisServer.server().command("DEL", Keys.job(chatId, "job-4")); // as if it expired while the job ran
      CommitRequest fresh = commit(chatId, "job-4", token, "ok");
      CommitRequest old = new CommitRequest(fresh.chatId(), fresh.jobId(), fresh.lockToken(),
          fresh.assistantMessageId(), fresh.assistantText(), fresh.assistantTokens(), fresh.now(),
          System.nanoTime() - Duration.ofSeconds(301).toNanos(), fresh.replyWithoutMessage());
      assertThat(await(store.jobs.commit(old, deadline())).status()).isEqualTo(CommitOutcome.Status.COMMITTED);
      assertThat(ttl(Keys.job(chatId, "job-4"))).isBetween(590L, 600L);

      // A young job whose record vanished (evicted) also gets the TTL: the record is never left without one.
      String other = token();
      await(store.jobs.start(start(chatId, "job-5", other, "hi"), deadline()));
      redisServer.server().command("DEL", Keys.job(chatId, "job-5"));
      assertThat(await(store.jobs.commit(commit(chatId, "job-5", other, "ok"), deadline())).status())
          .isEqualTo(CommitOutcome.Status.COMMITTED);
      assertThat(ttl(Keys.job(chatId, "job-5"))).isBetween(590L, 600L);
    }
  }

  /**
   * Verifies that a run's ended mark lives at least a minute even when its job's record was about to
   * expire: a start of that run still on its way finds the mark and takes nothing (review finding:
   * the mark expired with the record, and the late start took the lock for no one).
   */
  @Test
  @DisplayName("An ended mark outlives a record that was about to expire")
  void endedMarkOutlivesAnExpiringRecord() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 600)) {
      String chatId = store.newChat();
      String first = token();
      await(store.jobs.start(start(chatId, "job-6", first, "hi"), deadline()));
      await(store.jobs.finish(chatId, "job-6", first, "failed", new JsonObject().put("code", "TIMEOUT"), deadline()));
      redisServer.server().command("EXPIRE", Keys.job(chatId, "job-6"), "2"); // its TTL nearly spent

      String late = token();
      await(store.jobs.finish(chatId, "job-6", late, "cancelled", null, deadline()));
      assertThat(ttl(Keys.job(chatId, "job-6"))).isBetween(JobStore.ENDED_RUN_TTL_SECONDS - 5, JobStore.ENDED_RUN_TTL_SECONDS);
      assertThat(await(store.jobs.start(start(chatId, "job-6", late, "hi again"), deadline())).status())
          .isEqualTo(StartOutcome.Status.ENDED);
      assertThat(redisServer.server().command("EXISTS", Keys.lock(chatId))).isEqualTo("0");
    }
  }
}
