package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChatLockTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private static String chatWithDelay(TestNode node, long tokenDelayMs) {
    JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "slow")
        .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs))));
    return node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
        .getString("id");
  }

  /**
   * Verifies that 50 concurrent generates on one chat never overlap: the ones that do not get the
   * lock fail with CHAT_LOCKED, the stored history alternates user/assistant with each reply after
   * its own question, and the successful jobs' intervals do not intersect. A message added during a
   * generation also gets CHAT_LOCKED.
   */
  @Test
  @DisplayName("50 generates on one chat: no overlap, the rest get 423; messages.create during one gets 423")
  void generatesOnOneChatNeverOverlap() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chatWithDelay(node, 20);
      List<Future<JsonObject>> generates = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        generates.add(node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
            .put("text", "turn " + i)));
      }
      Await.until(() -> redisServer.server().command("EXISTS", "cw:chat:{" + chatId + "}:lock").equals("1"),
          Duration.ofSeconds(10), "a generation holds the chat");
      ApiException during = node.failure(Addresses.MESSAGES_CREATE,
          new JsonObject().put("chatId", chatId).put("text", "sneaking in"));
      assertThat(during.code()).isEqualTo(ErrorCode.CHAT_LOCKED);
      TestNode.awaitAll(generates);

      long succeeded = generates.stream().filter(Future::succeeded).count();
      assertThat(succeeded).isGreaterThanOrEqualTo(1);
      assertThat(generates).filteredOn(Future::failed).allSatisfy(f ->
          assertThat(((ApiException) f.cause()).code()).isEqualTo(ErrorCode.CHAT_LOCKED));
      JsonArray messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId))
          .getJsonArray("messages");
      assertThat(messages).hasSize((int) succeeded * 2);
      for (int i = 0; i < messages.size(); i += 2) {
        JsonObject user = messages.getJsonObject(i);
        JsonObject assistant = messages.getJsonObject(i + 1);
        assertThat(user.getString("role")).isEqualTo("user");
        assertThat(assistant.getString("role")).isEqualTo("assistant");
        assertThat(assistant.getString("text")).isEqualTo("You said: " + user.getString("text"));
        assertThat(assistant.getLong("seq")).isEqualTo(user.getLong("seq") + 1);
        if (i >= 2) {
          // The user message is stored when a job takes the lock, the reply when it commits: a job
          // starting before the previous one committed would show here.
          Instant previousCommit = Instant.parse(messages.getJsonObject(i - 1).getString("createdAt"));
          assertThat(Instant.parse(user.getString("createdAt"))).isAfterOrEqualTo(previousCommit);
        }
      }
    }
  }

  /**
   * Verifies lock fencing: with a lease shorter than the model takes, the lock expires mid-job, the
   * reply is not stored, and the job fails with CHAT_LOCKED saying nothing was stored.
   */
  @Test
  @DisplayName("A job whose lock expired stores nothing and fails clearly")
  void expiredLockFencesTheCommit() {
    JsonObject shortLease = new JsonObject().put("generation", new JsonObject().put("lockLeaseMs", 300));
    try (TestNode node = new TestNode(redisServer.server().url(), shortLease)) {
      String chatId = chatWithDelay(node, 150);
      // Renewal would keep the lock: make it fail by taking the lock away mid-job, as an expiry would.
      Future<JsonObject> job = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
          .put("text", "one two three four five six seven eight"));
      String lockKey = "cw:chat:{" + chatId + "}:lock";
      Await.until(() -> redisServer.server().command("EXISTS", lockKey).equals("1"), Duration.ofSeconds(10), "locked");
      redisServer.server().command("SET", lockKey, "someone-else", "PX", "60000");
      ApiException failure = (ApiException) Await.await(job.map(ok -> (Throwable) null)
          .recover(Future::succeededFuture));
      assertThat(failure).isNotNull();
      assertThat(failure.code()).isEqualTo(ErrorCode.CHAT_LOCKED);
      assertThat(failure.getMessage()).contains("nothing was stored");
      JsonArray messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId))
          .getJsonArray("messages");
      assertThat(messages).extracting(m -> ((JsonObject) m).getString("role")).containsExactly("user");
      assertThat(redisServer.server().command("GET", lockKey)).isEqualTo("someone-else");
    }
  }
}
