package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BadInputTest {

  private static final String MIB = "x".repeat(1 << 20);

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private record Case(String address, Object body, ErrorCode code, String mentions) {}

  /**
   * Verifies that every address answers bad input with INVALID_REQUEST naming the field (or
   * NOT_FOUND for unknown ids), while the same node keeps serving good generates meanwhile.
   */
  @Test
  @DisplayName("Bad input on every address: 400 naming the field or 404, others served meanwhile")
  void badInputGetsAClearErrorAndHurtsNoOne() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "ok"));
      String chatId = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
          .getString("id");
      List<Future<JsonObject>> goodJobs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        String goodChat = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
            .getString("id");
        goodJobs.add(node.request(Addresses.GENERATE, new JsonObject().put("chatId", goodChat).put("text", "good " + i)));
      }
      List<Case> cases = List.of(
          new Case(Addresses.ASSISTANTS_CREATE, "{not json", ErrorCode.INVALID_REQUEST, "body"),
          new Case(Addresses.ASSISTANTS_CREATE, new JsonObject(), ErrorCode.INVALID_REQUEST, "name"),
          new Case(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", 1), ErrorCode.INVALID_REQUEST, "name"),
          new Case(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "a").put("extra", 1),
              ErrorCode.INVALID_REQUEST, "extra"),
          new Case(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "a").put("systemPrompt", MIB),
              ErrorCode.INVALID_REQUEST, "systemPrompt"),
          new Case(Addresses.ASSISTANTS_GET, new JsonObject(), ErrorCode.INVALID_REQUEST, "id"),
          new Case(Addresses.ASSISTANTS_GET, new JsonObject().put("id", "no-such-assistant"), ErrorCode.NOT_FOUND,
              "no-such-assistant"),
          new Case(Addresses.ASSISTANTS_DELETE, new JsonObject().put("id", "no-such-assistant"), ErrorCode.NOT_FOUND,
              "no-such-assistant"),
          new Case(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", "nope"), ErrorCode.NOT_FOUND, "nope"),
          new Case(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", List.of()), ErrorCode.INVALID_REQUEST,
              "assistantId"),
          new Case(Addresses.CHATS_GET, new JsonObject().put("id", "no-chat"), ErrorCode.NOT_FOUND, "no-chat"),
          new Case(Addresses.MESSAGES_CREATE, new JsonObject().put("chatId", chatId).put("text", MIB),
              ErrorCode.INVALID_REQUEST, "text"),
          new Case(Addresses.MESSAGES_CREATE, new JsonObject().put("chatId", "no-chat").put("text", "hi"),
              ErrorCode.NOT_FOUND, "no-chat"),
          new Case(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId).put("limit", 0),
              ErrorCode.INVALID_REQUEST, "limit"),
          new Case(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", "no-chat"), ErrorCode.NOT_FOUND, "no-chat"),
          new Case(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("timeoutMs", "soon"),
              ErrorCode.INVALID_REQUEST, "timeoutMs"),
          new Case(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", MIB),
              ErrorCode.INVALID_REQUEST, "text"),
          new Case(Addresses.GENERATE, new JsonObject().put("chatId", "no-chat").put("text", "hi"),
              ErrorCode.NOT_FOUND, "no-chat"),
          new Case(Addresses.JOBS_GET, new JsonObject().put("jobId", "no-job"), ErrorCode.NOT_FOUND, "no-job"),
          new Case(Addresses.JOBS_GET, new JsonObject().put("jobId", 5), ErrorCode.INVALID_REQUEST, "jobId"));
      for (Case c : cases) {
        ApiException failure = node.failure(c.address(), c.body());
        assertThat(failure.code()).as(c.address() + " " + c.mentions()).isEqualTo(c.code());
        assertThat(failure.getMessage()).as(c.address()).contains(c.mentions());
      }
      node.vertx().eventBus().publish(Addresses.GENERATE_CANCEL, "garbage");
      TestNode.awaitAll(goodJobs);
      assertThat(goodJobs).allSatisfy(job -> assertThat(job.succeeded()).as(String.valueOf(job.cause())).isTrue());
      assertThat(node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "still here"))
          .getJsonObject("message").getString("text")).isEqualTo("You said: still here");
    }
  }
}
