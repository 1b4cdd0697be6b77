package chatworker.store;

import static chatworker.testing.Await.await;
import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.time.Deadline;
import chatworker.testing.Await;
import chatworker.testing.FaultProxy;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * start and commit are sent as idempotent, so the Redis layer repeats them when a connection drops
 * with the command in flight. These tests drop the connection after Redis ran the script and before
 * its answer arrived, and check that the repeat does not write twice.
 */
class RetrySafetyTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * The layer, with a breaker that one reset does not open: with health PINGs in flight too, a reset
   * fails several calls at once, and an open breaker would stop the retry this test is about.
   */
  private static StoreHarness open(FaultProxy proxy) {
    return new StoreHarness(StoreHarness.settings(proxy.url()).put("healthCheckIntervalMs", 1_000)
        .put("readIdleTimeoutMs", 5_000)
        .put("breaker", new JsonObject().put("maxFailures", 100).put("resetTimeoutMs", 300)), 3_600);
  }

  /**
   * Runs one job through start and commit, so that Redis has both scripts cached: with the replies
   * held, an EVALSHA answered NOSCRIPT would never be followed by its EVAL.
   */
  private static void cacheTheScripts(StoreHarness store) {
    String chatId = store.newChat();
    String token = token();
    await(store.jobs.start(start(chatId, "job-0", token, "warm-up"), deadline()));
    await(store.jobs.commit(commit(chatId, "job-0", token, "done"), deadline()));
  }

  /**
   * Waits until Redis has run the call whose answers the proxy holds back, then drops every
   * connection (and with them what was held) before letting traffic through again.
   */
  private static void loseTheAnswerOnce(FaultProxy proxy, String what, BooleanSupplier ran) {
    Await.until(ran, Duration.ofSeconds(5), what);
    proxy.resetAll();
    proxy.heal();
  }

  /**
   * Verifies that a commit whose answer was lost is repeated by the layer and answers
   * ALREADY_SUCCEEDED with the stored reply: the chat holds one assistant message for the job.
   */
  @Test
  @DisplayName("A commit whose answer was lost is repeated without a second assistant message")
  void commitWhoseAnswerWasLostIsRepeatedSafely() {
    RedisServer server = redisServer.server();
    try (FaultProxy proxy = FaultProxy.startFor(server); StoreHarness store = open(proxy)) {
      cacheTheScripts(store);
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));

      proxy.holdReplies();
      Future<CommitOutcome> pending = store.jobs.commit(commit(chatId, "job-1", token, "answer"),
          Deadline.inMillis(8_000));
      loseTheAnswerOnce(proxy, "the commit to run on Redis",
          () -> {
            JobRecord record = StoreHarness.record(server, chatId, "job-1");
            return record != null && record.status().equals("succeeded");
          });
      CommitOutcome outcome = await(pending);

      assertThat(outcome.status()).isEqualTo(CommitOutcome.Status.ALREADY_SUCCEEDED);
      assertThat(outcome.reply())
          .isEqualTo(await(store.lookup.get("job-1", deadline())).getJsonObject("result"));
      assertThat(await(store.chats.listMessages(chatId, 10, 0, deadline())))
          .extracting(m -> m.getString("role")).containsExactly("user", "assistant");
    }
  }

  /**
   * Verifies that a start whose answer was lost is repeated by the layer and replays STARTED for the
   * same token: the user text is appended once and the lock is this run's.
   */
  @Test
  @DisplayName("A start whose answer was lost is repeated without a second user message")
  void startWhoseAnswerWasLostIsRepeatedSafely() {
    RedisServer server = redisServer.server();
    try (FaultProxy proxy = FaultProxy.startFor(server); StoreHarness store = open(proxy)) {
      cacheTheScripts(store);
      String chatId = store.newChat();
      String token = token();

      proxy.holdReplies();
      Future<StartOutcome> pending = store.jobs.start(start(chatId, "job-2", token, "hi"),
          Deadline.inMillis(8_000));
      loseTheAnswerOnce(proxy, "the start to run on Redis",
          () -> token.equals(server.command("GET", Keys.lock(chatId))));
      StartOutcome outcome = await(pending);

      assertThat(outcome.status()).isEqualTo(StartOutcome.Status.STARTED);
      assertThat(outcome.userMessage().getLong("seq")).isEqualTo(1L);
      assertThat(outcome.history()).hasSize(1);
      assertThat(await(store.chats.get(chatId, deadline())).getLong("messageCount")).isEqualTo(1L);
      assertThat(await(store.lock.holder(chatId, deadline()))).isEqualTo(token);
      assertThat(store.redis.health().reconnects()).isPositive();
    }
  }
}
