package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JobStoreExpiryTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /** The job index's time bucket with a TTL of 600 s: an eighth of it. */
  private static final long BUCKET = 600 / JobIndex.BUCKETS_PER_TTL;

  private long ttl(String key) {
    return Long.parseLong(redisServer.server().command("TTL", key));
  }

  /** Rewrites the expiry of the job's record as stored. */
  private void setExpiry(String chatId, String jobId, long expiresAtMs) {
    JobRecord record = StoreHarness.record(redisServer.server(), chatId, jobId);
    redisServer.server().command("HSET", Keys.jobs(chatId), jobId, String.join("|", record.status(),
        Long.toString(expiresAtMs), record.node(), record.token(), record.userSeq(), record.ended(), record.payload()));
  }

  /** Removes the chat's job records and their expiry, as an eviction of those keys would. */
  private void forgetRecords(String chatId) {
    redisServer.server().command("DEL", Keys.jobs(chatId), Keys.jobExpiry(chatId));
  }

  private List<String> indexKeys(String jobId) {
    return StoreHarness.indexKeys(redisServer.server(), jobId);
  }

  private long expiry(String chatId, String jobId) {
    return StoreHarness.secondsToExpiry(redisServer.server(), chatId, jobId);
  }

  /**
   * Verifies that the job record gets the configured expiry at start and keeps one after commit and
   * finish, and the job index's hashes a TTL of at least that plus a bucket (so that they outlive the
   * record of a job shorter than a bucket), so no job outlives jobTtlSeconds; chat data has no TTL.
   */
  @Test
  @DisplayName("Job records and the job index carry the job TTL")
  void jobRecordsAndIndexCarryTheTtl() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 600)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));
      assertThat(expiry(chatId, "job-1")).isBetween(590L, 600L);
      await(store.jobs.commit(commit(chatId, "job-1", token, "ok"), deadline()));
      assertThat(expiry(chatId, "job-1")).isBetween(590L, 600L);

      String other = token();
      await(store.jobs.start(start(chatId, "job-2", other, null), deadline()));
      await(store.jobs.finish(chatId, "job-2", other, "failed", new JsonObject().put("code", "TIMEOUT"),
          deadline()));
      assertThat(expiry(chatId, "job-2")).isBetween(590L, 600L);
      assertThat(indexKeys("job-1")).isNotEmpty().allSatisfy(key ->
          assertThat(ttl(key)).isBetween(600L + BUCKET - 1, 600L + 3 * BUCKET));
      assertThat(indexKeys("job-2")).isNotEmpty().allSatisfy(key ->
          assertThat(ttl(key)).isBetween(600L + BUCKET - 1, 600L + 3 * BUCKET));
      assertThat(ttl(Keys.chat(chatId))).isEqualTo(-1L);
      assertThat(ttl(Keys.messages(chatId))).isEqualTo(-1L);
      assertThat(ttl(Keys.jobs(chatId))).isEqualTo(-1L);
    }
  }

  /**
   * Verifies that once the TTL ran out getJob answers null and a resubmitted job id generates anew,
   * and that the chat's next start forgets the expired records and the index's hashes expire: what
   * jobs leave behind does not grow for ever.
   */
  @Test
  @DisplayName("An expired job is gone")
  void expiredJobIsGone() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 1)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-3", token, "hi"), deadline()));
      await(store.jobs.commit(commit(chatId, "job-3", token, "ok"), deadline()));
      assertThat(await(store.lookup.get("job-3", deadline()))).isNotNull();

      Await.until(() -> await(store.lookup.get("job-3", deadline())) == null, Duration.ofSeconds(10),
          "the job to expire");
      String again = token();
      assertThat(await(store.jobs.start(start(chatId, "job-3", again, "hi again"), deadline())).status())
          .isEqualTo(StartOutcome.Status.STARTED);
      await(store.jobs.commit(commit(chatId, "job-3", again, "ok again"), deadline()));
      assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline()))).hasSize(4);

      Await.until(() -> await(store.lookup.get("job-3", deadline())) == null, Duration.ofSeconds(10),
          "the second run to expire");
      String other = token();
      await(store.jobs.start(start(chatId, "job-4", other, null), deadline()));
      await(store.jobs.finish(chatId, "job-4", other, "failed", null, deadline()));
      assertThat(redisServer.server().command("HKEYS", Keys.jobs(chatId))).isEqualTo("job-4");
      assertThat(redisServer.server().command("LRANGE", Keys.jobExpiry(chatId), "0", "-1")).matches("\\d+ job-4");
      Await.until(() -> indexKeys("job-3").isEmpty() && indexKeys("job-4").isEmpty(), Duration.ofSeconds(10),
          "the job index's hashes to expire");
    }
  }

  /**
   * Verifies that a commit keeps the job one TTL from its success, not from its start (a job that
   * ran long is not forgotten early), also when its record vanished while it ran (evicted): the
   * record is written again, queued to expire, and never lives for ever.
   */
  @Test
  @DisplayName("A commit keeps the job one TTL from its success, also when its record vanished")
  void commitKeepsTheJobOneTtl() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 600)) {
      String chatId = store.newChat();
      String first = token();
      await(store.jobs.start(start(chatId, "job-7", first, "hi"), deadline()));
      setExpiry(chatId, "job-7", System.currentTimeMillis() + 5_000); // as if it started ~10 minutes ago
      assertThat(await(store.jobs.commit(commit(chatId, "job-7", first, "ok"), deadline())).status())
          .isEqualTo(CommitOutcome.Status.COMMITTED);
      assertThat(expiry(chatId, "job-7")).isBetween(590L, 600L);

      String token = token();
      await(store.jobs.start(start(chatId, "job-5", token, "hi"), deadline()));
      forgetRecords(chatId);
      assertThat(await(store.jobs.commit(commit(chatId, "job-5", token, "ok"), deadline())).status())
          .isEqualTo(CommitOutcome.Status.COMMITTED);
      assertThat(expiry(chatId, "job-5")).isBetween(590L, 600L);
      assertThat(redisServer.server().command("LRANGE", Keys.jobExpiry(chatId), "0", "-1")).endsWith(" job-5");
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
      setExpiry(chatId, "job-6", System.currentTimeMillis() + 2_000); // its TTL nearly spent

      String late = token();
      await(store.jobs.finish(chatId, "job-6", late, "cancelled", null, deadline()));
      assertThat(expiry(chatId, "job-6")).isBetween(JobStore.ENDED_RUN_TTL_SECONDS - 5, JobStore.ENDED_RUN_TTL_SECONDS);
      assertThat(await(store.jobs.start(start(chatId, "job-6", late, "hi again"), deadline())).status())
          .isEqualTo(StartOutcome.Status.ENDED);
      assertThat(redisServer.server().command("EXISTS", Keys.lock(chatId))).isEqualTo("0");
    }
  }
}
