package chatworker.store;

import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.failureOf;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With {@code redis.durability.replicas} 1, a start that finds its job succeeded hands the stored
 * reply to the client, so it must be as durable as the commit that stored it (SentinelJobsTest found
 * such replies lost in a failover). A master and one replica, which the test freezes.
 */
class DurableStartTest {

  @RegisterExtension
  RedisExtension master = new RedisExtension();

  /**
   * Verifies that while the replica cannot confirm anything, a start of a succeeded job fails as
   * UNAVAILABLE instead of answering ALREADY_SUCCEEDED, and answers it with the stored reply once the
   * replica is back.
   */
  @Test
  @DisplayName("A start that finds its job succeeded answers only once a replica confirms the record")
  void alreadySucceededIsConfirmedByAReplica() {
    RedisServer replica = master.startExtra(RedisServer.Options.defaults()
        .withArg("replicaof", RedisServer.HOST, Integer.toString(master.server().port())));
    Await.until(() -> replica.command("INFO", "replication").contains("master_link_status:up"),
        Duration.ofSeconds(20), "the replica to be in sync");
    try (StoreHarness store = new StoreHarness(StoreHarness.settings(master.server().url())
        .put("durability", new JsonObject().put("replicas", 1).put("waitTimeoutMs", 200)), 3_600)) {
      String chatId = store.newChat();
      String token = token();
      await(store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));
      CommitOutcome committed = await(store.jobs.commit(commit(chatId, "job-1", token, "hello"), deadline()));
      String messageId = committed.reply().getJsonObject("message").getString("id");

      replica.pause();
      try {
        StoreFailure failure = (StoreFailure) failureOf(store.jobs.start(start(chatId, "job-1", token(), "hi"),
            deadline()));
        assertThat(failure.kind()).isEqualTo(StoreFailure.Kind.UNAVAILABLE);
      } finally {
        replica.resume();
      }

      StartOutcome again = await(store.jobs.start(start(chatId, "job-1", token(), "hi"), deadline()));
      assertThat(again.status()).isEqualTo(StartOutcome.Status.ALREADY_SUCCEEDED);
      assertThat(again.storedResult().getJsonObject("message").getString("id")).isEqualTo(messageId);
      assertThat(await(store.lock.holder(chatId, deadline()))).isNull();
    }
  }
}
