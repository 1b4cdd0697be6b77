package chatworker.generation;

import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ModelWiringTest {

  private static final String API_KEY = "sk-test-wiring-123";

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that an assistant with the openai provider is served through the node's configured
   * OpenAI-compatible server: the conversation (system prompt, memory, user turn) is sent with the
   * API key, the streamed reply is stored, and a server that keeps failing gives MODEL_ERROR with the
   * chat free again.
   */
  @Test
  @DisplayName("openai assistants go to the configured server; a failing server is a 502 that frees the chat")
  void openAiAssistantsUseTheConfiguredServer() {
    AtomicReference<JsonObject> lastRequest = new AtomicReference<>();
    AtomicReference<String> lastAuthorization = new AtomicReference<>();
    AtomicBoolean failing = new AtomicBoolean();
    try (TestNode probe = new TestNode(redisServer.server().url())) {
      HttpServer fake = Await.await(probe.vertx().createHttpServer().requestHandler(request ->
          request.body().onSuccess(body -> {
            if (failing.get()) {
              request.response().setStatusCode(500).end("{\"error\":{\"message\":\"boom\"}}");
              return;
            }
            JsonObject json = body.toJsonObject();
            lastRequest.set(json);
            lastAuthorization.set(request.getHeader("Authorization"));
            JsonArray messages = json.getJsonArray("messages");
            String last = messages.getJsonObject(messages.size() - 1).getString("content");
            StringBuilder sse = new StringBuilder();
            for (String piece : List.of("Model", " saw: ", last)) {
              sse.append("data: ").append(new JsonObject().put("choices", new JsonArray().add(new JsonObject()
                  .put("index", 0).put("delta", new JsonObject().put("content", piece))))).append("\n\n");
            }
            sse.append("data: ").append(new JsonObject().put("choices", new JsonArray().add(new JsonObject()
                .put("index", 0).put("delta", new JsonObject()).put("finish_reason", "stop")))
                .put("usage", new JsonObject().put("prompt_tokens", 11).put("completion_tokens", 5))).append("\n\n");
            sse.append("data: [DONE]\n\n");
            request.response().putHeader("content-type", "text/event-stream").end(sse.toString());
          })).listen(0, "127.0.0.1"));
      JsonObject models = new JsonObject().put("openai", new JsonObject()
          .put("baseUrl", "http://127.0.0.1:" + fake.actualPort() + "/v1").put("apiKey", API_KEY)
          .put("maxRetries", 1).put("retryInitialDelayMs", 10).put("retryMaxDelayMs", 20));
      try (TestNode node = new TestNode(redisServer.server().url(), new JsonObject().put("models", models))) {
        JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "remote")
            .put("systemPrompt", "Answer {{who}}.")
            .put("model", new JsonObject().put("provider", "openai").put("name", "gpt-test")
                .put("options", new JsonObject().put("temperature", 0.2))));
        String chatId = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
            .getString("id");
        JsonObject reply = node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "ping?")
            .put("systemPromptVariables", new JsonObject().put("who", "briefly")));

        assertThat(reply.getJsonObject("message").getString("text")).isEqualTo("Model saw: ping?");
        assertThat(reply.getJsonObject("usage").getInteger("promptTokens")).isEqualTo(11);
        assertThat(lastAuthorization.get()).isEqualTo("Bearer " + API_KEY);
        assertThat(lastRequest.get().getString("model")).isEqualTo("gpt-test");
        assertThat(lastRequest.get().getDouble("temperature")).isEqualTo(0.2);
        assertThat(lastRequest.get().getJsonArray("messages").getJsonObject(0))
            .isEqualTo(new JsonObject().put("role", "system").put("content", "Answer briefly."));

        failing.set(true);
        Future<JsonObject> failed = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
            .put("text", "again?"));
        ApiException error = (ApiException) Await.await(failed.map(ok -> (Throwable) null)
            .recover(Future::succeededFuture));
        assertThat(error.code()).isEqualTo(ErrorCode.MODEL_ERROR);
        assertThat(error.getMessage()).doesNotContain(API_KEY);
        failing.set(false);
        JsonObject after = node.call(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "free?"));
        assertThat(after.getJsonObject("message").getString("text")).isEqualTo("Model saw: free?");
      }
    }
  }

  /** Verifies that a node at its in-flight limit answers OVERLOADED at once instead of queueing. */
  @Test
  @DisplayName("At the in-flight limit, chat.generate answers 429 OVERLOADED")
  void overloadedNodeRefusesFast() {
    JsonObject limit = new JsonObject().put("generation", new JsonObject().put("maxInFlight", 2));
    try (TestNode node = new TestNode(redisServer.server().url(), limit)) {
      JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "slow")
          .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 100))));
      List<Future<JsonObject>> jobs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String chatId = node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
            .getString("id");
        jobs.add(node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "a b c")));
      }
      TestNode.awaitAll(jobs);
      long overloaded = jobs.stream().filter(Future::failed)
          .filter(f -> ((ApiException) f.cause()).code() == ErrorCode.OVERLOADED).count();
      assertThat(jobs.stream().filter(Future::succeeded).count()).isGreaterThanOrEqualTo(2);
      assertThat(overloaded).isPositive();
      assertThat(jobs.stream().filter(Future::failed).count()).isEqualTo(overloaded);
    }
  }
}
