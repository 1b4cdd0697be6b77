package chatworker.store;

import static chatworker.store.StoreHarness.commit;
import static chatworker.store.StoreHarness.deadline;
import static chatworker.store.StoreHarness.start;
import static chatworker.store.StoreHarness.token;
import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stores hand up Redis problems as their own {@link StoreFailure}, never as the Redis layer's
 * failure, so no class above the store sees a Redis type.
 */
class StoreFailureTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /** Every public store call, on a chat that existed. */
  private static Map<String, Future<?>> everyCall(StoreHarness store, String chatId, JsonObject assistant) {
    String token = token();
    Map<String, Future<?>> calls = new LinkedHashMap<>();
    calls.put("assistants.create", store.assistants.create(new JsonObject().put("name", "x"), deadline()));
    calls.put("assistants.get", store.assistants.get(assistant.getString("id"), deadline()));
    calls.put("assistants.delete", store.assistants.delete(assistant.getString("id"), deadline()));
    calls.put("chats.create", store.chats.create(assistant, "x", null, deadline()));
    calls.put("chats.get", store.chats.get(chatId, deadline()));
    calls.put("chats.appendUserMessage", store.chats.appendUserMessage(chatId, "hi", null, deadline()));
    calls.put("chats.listMessages", store.chats.listMessages(chatId, 10, 0, deadline()));
    calls.put("jobs.start", store.jobs.start(start(chatId, "job-1", token, "hi"), deadline()));
    calls.put("jobs.commit", store.jobs.commit(commit(chatId, "job-1", token, "done"), deadline()));
    calls.put("jobs.finish", store.jobs.finish(chatId, "job-1", token, "failed", null, deadline()));
    calls.put("lock.renew", store.lock.renew(chatId, token, 1_000, deadline()));
    calls.put("lock.release", store.lock.release(chatId, token, deadline()));
    calls.put("lock.holder", store.lock.holder(chatId, deadline()));
    calls.put("lookup.get", store.lookup.get("job-1", deadline()));
    return calls;
  }

  private static void assertAllFailWith(Map<String, Future<?>> calls, StoreFailure.Kind kind) {
    calls.forEach((name, call) -> assertThat(Await.failure(call, StoreFailure.class).kind()).as(name)
        .isEqualTo(kind));
  }

  /** Verifies that every store call fails with StoreFailure UNAVAILABLE while Redis is down. */
  @Test
  @DisplayName("Redis down: every store call fails with StoreFailure UNAVAILABLE")
  void redisDownIsUnavailable() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      JsonObject assistant = await(store.assistants.create(new JsonObject().put("name", "a"), deadline()));
      redisServer.server().stop();

      assertAllFailWith(everyCall(store, chatId, assistant), StoreFailure.Kind.UNAVAILABLE);
    }
  }

  /** Verifies that a call Redis does not answer by its deadline fails with StoreFailure TIMEOUT. */
  @Test
  @DisplayName("Redis asleep: a store call fails with StoreFailure TIMEOUT")
  void redisAsleepIsTimeout() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      String chatId = store.newChat();
      var asleep = redisServer.server().debugSleep(2);
      Future<?> holder = store.lock.holder(chatId, Deadline.inMillis(300));
      Future<?> start = store.jobs.start(start(chatId, "job-t", token(), "hi"), Deadline.inMillis(300));

      assertThat(Await.failure(holder, StoreFailure.class).kind()).isEqualTo(StoreFailure.Kind.TIMEOUT);
      assertThat(Await.failure(start, StoreFailure.class).kind()).isEqualTo(StoreFailure.Kind.TIMEOUT);
      asleep.join();
    }
  }

  /** Verifies that a command Redis answers with an error fails with StoreFailure REFUSED, its error named. */
  @Test
  @DisplayName("Redis refuses a command: StoreFailure REFUSED with Redis's error")
  void commandErrorIsRefused() {
    try (StoreHarness store = new StoreHarness(redisServer.server().url())) {
      redisServer.server().command("HSET", Keys.assistant("not-a-string"), "field", "value");

      StoreFailure failure = Await.failure(store.assistants.get("not-a-string", deadline()), StoreFailure.class);

      assertThat(failure.kind()).isEqualTo(StoreFailure.Kind.REFUSED);
      assertThat(failure.getMessage()).contains("WRONGTYPE");
    }
  }
}
