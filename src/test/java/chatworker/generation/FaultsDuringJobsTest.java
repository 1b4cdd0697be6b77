package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FaultsDuringJobsTest {

  private static final int JOBS = 100;

  // AOF, so that acknowledged writes survive the restart.
  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension(RedisServer.Options.defaults().withAppendOnly(true));

  /**
   * Verifies that while 100 jobs run, a Redis restart and killed connections end every job with
   * success, STORE_UNAVAILABLE or TIMEOUT (none hangs), no chat stays locked past its lease, and
   * resubmitting the failed jobIds completes them with exactly one assistant message per jobId.
   */
  @Test
  @DisplayName("Redis restarted and connections killed under 100 jobs: every job ends, resubmits complete once")
  void jobsSurviveRedisFaults() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      List<String> chats = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "a" + i)
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 20))));
        chats.add(node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
            .getString("id"));
      }
      List<JsonObject> requests = new ArrayList<>();
      List<Future<JsonObject>> jobs = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        JsonObject request = new JsonObject().put("chatId", chats.get(i % chats.size())).put("jobId", "fault-job-" + i)
            .put("text", "job " + i + " says hello").put("timeoutMs", 5_000);
        requests.add(request);
        jobs.add(node.request(Addresses.GENERATE, request));
      }
      redisServer.server().clientKillNormal();
      redisServer.server().restart();
      redisServer.server().clientKillNormal();
      TestNode.awaitAll(jobs);

      List<JsonObject> toResend = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        Future<JsonObject> job = jobs.get(i);
        if (job.failed()) {
          assertThat(((ApiException) job.cause()).code())
              .isIn(Set.of(ErrorCode.STORE_UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.CHAT_LOCKED));
          toResend.add(requests.get(i));
        }
      }
      // Locks of jobs whose clean-up could not reach Redis expire with their lease (3 s here).
      Await.until(() -> redisServer.server().command("KEYS", "cw:chat:*:lock").isEmpty(),
          Duration.ofSeconds(10), "no chat lock outlives its lease");

      // Resend one at a time per chat: each completes (a chat runs one job at a time).
      for (JsonObject request : toResend) {
        Await.until(() -> {
          try {
            node.call(Addresses.GENERATE, request);
            return true;
          } catch (ApiException busy) {
            return false;
          }
        }, Duration.ofSeconds(30), "resubmitted " + request.getString("jobId") + " completes");
      }
      for (String chatId : chats) {
        JsonArray messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId).put("limit", 1000))
            .getJsonArray("messages");
        List<String> assistantJobIds = messages.stream().map(m -> (JsonObject) m)
            .filter(m -> "assistant".equals(m.getString("role"))).map(m -> m.getString("jobId")).toList();
        assertThat(assistantJobIds).doesNotHaveDuplicates();
      }
      long assistantMessages = chats.stream().mapToLong(chatId -> node.call(Addresses.MESSAGES_LIST,
              new JsonObject().put("chatId", chatId).put("limit", 1000)).getJsonArray("messages").stream()
          .filter(m -> "assistant".equals(((JsonObject) m).getString("role"))).count()).sum();
      assertThat(assistantMessages).isEqualTo(JOBS);
      System.out.printf("{\"test\":\"faults-during-jobs\",\"jobs\":%d,\"failedThenResent\":%d}%n", JOBS, toResend.size());
    }
  }
}
