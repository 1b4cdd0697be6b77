package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scripts keep working when Redis forgets them: SCRIPT FLUSH, and a restart. */
class ScriptRecoveryTest {

  /** Append-only, so the chat and the job survive the restart and only the script cache is lost. */
  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension(RedisServer.Options.defaults().withAppendOnly(true));

  private void flush() {
    redisServer.server().command("SCRIPT", "FLUSH");
  }

  /** Verifies that every script runs when the script cache was flushed right before it. */
  @Test
  @DisplayName("Every script runs after SCRIPT FLUSH")
  void everyScriptRunsAfterScriptFlush() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      flush();
      assertThat(await(store.chats.appendUserMessage(chatId, "hi", null, deadline())).status())
          .isEqualTo(AppendOutcome.Status.APPENDED);
      String token = token();
      flush();
      assertThat(await(store.jobs.start(start(chatId, "job-1", token, "again"), deadline())).status())
          .isEqualTo(StartOutcome.Status.STARTED);
      flush();
      assertThat(await(store.lock.renew(chatId, token, 30_000, deadline()))).isTrue();
      flush();
      assertThat(await(store.jobs.commit(commit(chatId, "job-1", token, "ok"), deadline())).status())
          .isEqualTo(CommitOutcome.Status.COMMITTED);

      String second = token();
      await(store.jobs.start(start(chatId, "job-2", second, null), deadline()));
      flush();
      await(store.jobs.finish(chatId, "job-2", second, "cancelled", null, deadline()));
      assertThat(await(store.lookup.get("job-2", deadline())).getString("status")).isEqualTo("cancelled");
      String third = token();
      await(store.jobs.start(start(chatId, "job-3", third, null), deadline()));
      flush();
      assertThat(await(store.lock.release(chatId, third, deadline()))).isTrue();
    }
  }

  /**
   * Verifies that a job started before Redis restarted commits after it: the layer reconnects, the
   * restarted server has no scripts cached, and the commit still runs once (EVALSHA, then EVAL).
   */
  @Test
  @DisplayName("A job started before a Redis restart commits after it")
  void jobStartedBeforeARestartCommitsAfterIt() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-r", token, "hi"), deadline()));

      redisServer.server().restart();
      assertThat(redisServer.server().command("SCRIPT", "EXISTS", LuaScript.load("job-commit").sha1()))
          .isEqualTo("0");
      String holder = Await.untilPresent(() -> lockHolderOrNull(store, chatId), Duration.ofSeconds(15),
          "the layer to reconnect and read the lock");
      assertThat(holder).isEqualTo(token);

      CommitOutcome outcome = await(store.jobs.commit(commit(chatId, "job-r", token, "after restart"),
          deadline()));
      assertThat(outcome.status()).isEqualTo(CommitOutcome.Status.COMMITTED);
      assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline())))
          .extracting(m -> m.getString("text")).containsExactly("hi", "after restart");
      JsonObject job = await(store.lookup.get("job-r", deadline()));
      assertThat(job.getString("status")).isEqualTo("succeeded");
    }
  }

  private static String lockHolderOrNull(StoreHarness store, String chatId) {
    try {
      return await(store.lock.holder(chatId, deadline()));
    } catch (StoreFailure notYet) {
      return null;
    }
  }
}
