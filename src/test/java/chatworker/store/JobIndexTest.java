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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The job index: no key per job, and lookups that survive a pointer to the wrong chat. */
class JobIndexTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private static final int JOBS = 2_000;

  /**
   * Verifies that jobs add no keys to Redis: thousands of jobs on a few chats leave the chats' keys
   * and at most one index hash per shard, so the keyspace never doubles (and rehashes) per job.
   */
  @Test
  @DisplayName("Thousands of jobs leave no key per job")
  void jobsLeaveNoKeyPerJob() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 3_600)) {
      String[] chats = {store.newChat(), store.newChat()};
      long before = Long.parseLong(redisServer.server().command("DBSIZE"));
      for (int i = 0; i < JOBS; i++) {
        String chatId = chats[i % 2];
        String token = token();
        await(store.jobs.start(start(chatId, "job-" + i, token, "hi " + i), deadline()));
        await(store.jobs.commit(commit(chatId, "job-" + i, token, "ok " + i), deadline()));
      }
      long added = Long.parseLong(redisServer.server().command("DBSIZE")) - before;
      // per chat: its job hash and their expiry; the index: a hash per shard that a job id fell in,
      // in at most two time buckets (the run may cross a bucket's end)
      assertThat(added).isLessThanOrEqualTo(2 * 2 + 2L * Math.min(JOBS, Keys.JOB_INDEX_SHARDS));
      assertThat(Long.parseLong(redisServer.server().command("HLEN", Keys.jobs(chats[0])))).isEqualTo(JOBS / 2);
      assertThat(await(store.lookup.get("job-7", deadline())).getString("chatId")).isEqualTo(chats[1]);
    }
  }

  /**
   * Verifies that when the newest index entry points to a chat where the job never started (a start on
   * a wrong chat id, written in a later time bucket than the real start), the lookup falls back to the
   * older entry and finds the job where it ran.
   */
  @Test
  @DisplayName("A lookup falls back from a chat without the record to an older entry")
  void lookupFallsBackToAnOlderEntry() {
    // a TTL of 8 s makes the index's time buckets 1 s wide
    try (StoreHarness store = new StoreHarness(redisServer.server().url(), 8)) {
      String chatId = store.newChat();
      String token = token();
      long startedSecond = System.currentTimeMillis() / 1000;
      await(store.jobs.start(start(chatId, "job-moved", token, "hi"), deadline()));
      await(store.jobs.commit(commit(chatId, "job-moved", token, "ok"), deadline()));
      Await.until(() -> System.currentTimeMillis() / 1000 > startedSecond + 1, Duration.ofSeconds(5),
          "the next time bucket");

      assertThat(await(store.jobs.start(start("no-such-chat", "job-moved", token(), "hi"), deadline())).status())
          .isEqualTo(StartOutcome.Status.NOT_FOUND);

      assertThat(StoreHarness.indexKeys(redisServer.server(), "job-moved"))
          .filteredOn(key -> redisServer.server().command("HEXISTS", key, "job-moved").equals("1"))
          .hasSize(2); // the start's bucket and the wrong chat's
      JsonObject job = await(store.lookup.get("job-moved", deadline()));
      assertThat(job.getString("chatId")).isEqualTo(chatId);
      assertThat(job.getString("status")).isEqualTo("succeeded");
    }
  }
}
