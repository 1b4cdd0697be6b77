package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CancelTimeoutIdempotencyTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private static String chat(TestNode node, long tokenDelayMs) {
    JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "a")
        .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs))));
    return node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
        .getString("id");
  }

  private static List<String> roles(TestNode node, String chatId) {
    JsonArray messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId))
        .getJsonArray("messages");
    return messages.stream().map(m -> ((JsonObject) m).getString("role")).toList();
  }

  private static ApiException failureOf(Future<JsonObject> job) {
    return Await.failure(job, ApiException.class);
  }

  /**
   * Verifies that a job cancelled mid-stream fails with CANCELLED, stores no partial reply, records
   * the job as cancelled, and leaves the chat free for the next generate at once.
   */
  @Test
  @DisplayName("Cancel mid-stream: 499, nothing partial stored, the lock is free at once")
  void cancelMidStream() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chat(node, 50);
      List<String> chunks = new CopyOnWriteArrayList<>();
      node.vertx().eventBus().<JsonObject>consumer("test.cancel.stream", m -> chunks.add(m.body().getString("delta")));
      Future<JsonObject> job = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
          .put("jobId", "cancel-me").put("text", "one two three four five six seven eight nine ten")
          .put("stream", true).put("streamAddress", "test.cancel.stream"));
      Await.until(() -> chunks.size() >= 2, Duration.ofSeconds(10), "streaming started");
      node.vertx().eventBus().publish(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", "cancel-me"));

      assertThat(failureOf(job).code()).isEqualTo(ErrorCode.CANCELLED);
      assertThat(roles(node, chatId)).containsExactly("user");
      // The failure reply comes after the clean-up: the record and the free lock are there at once.
      assertThat(node.call(Addresses.JOBS_GET, new JsonObject().put("jobId", "cancel-me")).getString("status"))
          .isEqualTo("cancelled");
      JsonObject next = node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "again")
          .put("timeoutMs", 10_000));
      assertThat(next.getJsonObject("message").getString("text")).isEqualTo("You said: again");
    }
  }

  /** Verifies that a job past its deadline fails with TIMEOUT, stores nothing partial and frees the lock. */
  @Test
  @DisplayName("Deadline mid-stream: 504, nothing partial stored, the lock is free at once")
  void timeoutMidStream() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chat(node, 100);
      Future<JsonObject> job = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
          .put("text", "one two three four five six seven eight nine ten").put("timeoutMs", 350));
      assertThat(failureOf(job).code()).isEqualTo(ErrorCode.TIMEOUT);
      assertThat(roles(node, chatId)).containsExactly("user");
      assertThat(redisServer.server().command("EXISTS", "cw:chat:{" + chatId + "}:lock")).isEqualTo("0");
      JsonObject next = node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "quick")
          .put("timeoutMs", 10_000));
      assertThat(next.getJsonObject("message").getString("text")).isEqualTo("You said: quick");
    }
  }

  /**
   * Verifies that the 504 comes by the job's timeoutMs even when its clean-up cannot reach Redis (the
   * server is paused right when the job is about to time out): a client that waits timeoutMs plus
   * transit gets the 504, not an event-bus timeout. The clean-up goes on after the reply, and the
   * chat is free once Redis is back.
   */
  @Test
  @DisplayName("Deadline while Redis is paused: the 504 still comes by timeoutMs")
  void timeoutReplyComesByTheDeadlineWhenRedisStalls() {
    // A long command timeout: a hung clean-up is not cut short by the Redis layer; only the reply deadline helps.
    JsonObject slowRedis = new JsonObject().put("redis", new JsonObject().put("commandTimeoutMs", 5_000));
    try (TestNode node = new TestNode(redisServer.server().url(), slowRedis)) {
      String chatId = chat(node, 100);
      long timeoutMs = 800;
      Future<Message<Object>> job = node.vertx().eventBus().request(Addresses.GENERATE, new JsonObject()
              .put("chatId", chatId).put("text", "one two three four five six seven eight nine ten")
              .put("timeoutMs", timeoutMs),
          new DeliveryOptions().setSendTimeout(timeoutMs + 1_000));
      Await.until(() -> redisServer.server().command("EXISTS", "cw:chat:{" + chatId + "}:lock").equals("1"),
          Duration.ofSeconds(10), "the job to hold its chat");
      redisServer.server().clientPause(4_000);

      Throwable failure = Await.await(job.map(ok -> (Throwable) null).recover(Future::succeededFuture));
      assertThat(failure).isInstanceOf(ReplyException.class);
      ReplyException reply = (ReplyException) failure;
      assertThat(reply.failureType()).as("a reply, not the event bus giving up").isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
      assertThat(reply.failureCode()).isEqualTo(ErrorCode.TIMEOUT.failureCode());

      Await.until(() -> redisServer.server().command("EXISTS", "cw:chat:{" + chatId + "}:lock").equals("0"),
          Duration.ofSeconds(20), "the clean-up to free the chat once Redis is back");
      assertThat(roles(node, chatId)).containsExactly("user");
    }
  }

  /**
   * Verifies idempotency by jobId: sent twice one after the other, the second answer is the stored
   * reply; sent twice at once, one runs and the other gets the stored reply or JOB_IN_PROGRESS; either
   * way the chat holds one assistant message per jobId.
   */
  @Test
  @DisplayName("The same jobId twice, in turn or at once: one assistant message")
  void sameJobIdTwiceGivesOneReply() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chat(node, 0);
      JsonObject request = new JsonObject().put("chatId", chatId).put("jobId", "job-once").put("text", "hello");
      JsonObject first = node.call(Addresses.GENERATE, request);
      JsonObject second = node.call(Addresses.GENERATE, request);
      assertThat(second).isEqualTo(first);
      assertThat(roles(node, chatId)).containsExactly("user", "assistant");

      String slowChat = chat(node, 30);
      JsonObject concurrent = new JsonObject().put("chatId", slowChat).put("jobId", "job-twice").put("text", "hi there");
      Future<JsonObject> a = node.request(Addresses.GENERATE, concurrent);
      Future<JsonObject> b = node.request(Addresses.GENERATE, concurrent);
      TestNode.awaitAll(List.of(a, b));
      assertThat(List.of(a, b)).anySatisfy(f -> assertThat(f.succeeded()).isTrue());
      for (Future<JsonObject> f : List.of(a, b)) {
        if (f.failed()) {
          assertThat(((ApiException) f.cause()).code()).isEqualTo(ErrorCode.JOB_IN_PROGRESS);
        }
      }
      assertThat(roles(node, slowChat)).containsExactly("user", "assistant");
      JsonObject again = node.call(Addresses.GENERATE, concurrent);
      assertThat(again.getJsonObject("message").getString("text")).isEqualTo("You said: hi there");
      assertThat(roles(node, slowChat)).containsExactly("user", "assistant");
    }
  }
}
