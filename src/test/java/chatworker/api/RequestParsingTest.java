package chatworker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestParsingTest {

  private static final String MIB = "x".repeat(1 << 20);

  static Stream<Arguments> badBodies() {
    Function<Object, ?> assistant = CreateAssistantRequest::parse;
    Function<Object, ?> id = IdRequest::parse;
    Function<Object, ?> chat = CreateChatRequest::parse;
    Function<Object, ?> message = CreateMessageRequest::parse;
    Function<Object, ?> list = ListMessagesRequest::parse;
    Function<Object, ?> generate = GenerateRequest::parse;
    Function<Object, ?> job = JobRequest::parse;
    return Stream.of(
        Arguments.of("not JSON", assistant, "{not json", "body"),
        Arguments.of("no body", id, null, "body"),
        Arguments.of("missing name", assistant, new JsonObject(), "name"),
        Arguments.of("name wrong type", assistant, new JsonObject().put("name", 7), "name"),
        Arguments.of("unknown field", assistant, new JsonObject().put("name", "a").put("colour", "red"), "colour"),
        Arguments.of("bad provider", assistant, new JsonObject().put("name", "a")
            .put("model", new JsonObject().put("provider", "skynet")), "model.provider"),
        Arguments.of("unknown model field", assistant, new JsonObject().put("name", "a")
            .put("model", new JsonObject().put("temperature", 1)), "model.temperature"),
        Arguments.of("token delay out of range", assistant, new JsonObject().put("name", "a")
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 5000))),
            "model.options.tokenDelayMs"),
        Arguments.of("bad memory type", assistant, new JsonObject().put("name", "a")
            .put("memory", new JsonObject().put("type", "infinite")), "memory.type"),
        Arguments.of("maxMessages out of range", assistant, new JsonObject().put("name", "a")
            .put("memory", new JsonObject().put("maxMessages", 0)), "memory.maxMessages"),
        Arguments.of("metadata too large", assistant, new JsonObject().put("name", "a")
            .put("metadata", new JsonObject().put("blob", MIB)), "metadata"),
        Arguments.of("1 MiB system prompt", assistant, new JsonObject().put("name", "a").put("systemPrompt", MIB),
            "systemPrompt"),
        Arguments.of("id missing", id, new JsonObject(), "id"),
        Arguments.of("id with bad characters", id, new JsonObject().put("id", "../etc"), "id"),
        Arguments.of("assistantId wrong type", chat, new JsonObject().put("assistantId", true), "assistantId"),
        Arguments.of("1 MiB message text", message, new JsonObject().put("chatId", "c").put("text", MIB), "text"),
        Arguments.of("message text missing", message, new JsonObject().put("chatId", "c"), "text"),
        Arguments.of("limit too large", list, new JsonObject().put("chatId", "c").put("limit", 1001), "limit"),
        Arguments.of("limit not whole", list, new JsonObject().put("chatId", "c").put("limit", 1.5), "limit"),
        Arguments.of("afterSeq negative", list, new JsonObject().put("chatId", "c").put("afterSeq", -1), "afterSeq"),
        Arguments.of("chatId missing", generate, new JsonObject(), "chatId"),
        Arguments.of("jobId too long", generate, new JsonObject().put("chatId", "c").put("jobId", "j".repeat(129)), "jobId"),
        Arguments.of("stream without address", generate, new JsonObject().put("chatId", "c").put("stream", true),
            "streamAddress"),
        Arguments.of("stream wrong type", generate, new JsonObject().put("chatId", "c").put("stream", "yes"), "stream"),
        Arguments.of("timeout zero", generate, new JsonObject().put("chatId", "c").put("timeoutMs", 0), "timeoutMs"),
        Arguments.of("1 MiB generate text", generate, new JsonObject().put("chatId", "c").put("text", MIB), "text"),
        Arguments.of("variable not scalar", generate, new JsonObject().put("chatId", "c")
            .put("systemPromptVariables", new JsonObject().put("v", new JsonObject())), "systemPromptVariables.v"),
        Arguments.of("jobId missing", job, new JsonObject(), "jobId"));
  }

  /** Verifies that each malformed body fails with INVALID_REQUEST whose message names the field. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badBodies")
  @DisplayName("Malformed bodies fail with INVALID_REQUEST naming the field")
  void malformedBodiesNameTheField(String what, Function<Object, ?> parser, Object body, String field) {
    assertThatThrownBy(() -> parser.apply(body))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
          assertThat(e.getMessage()).contains("'" + field + "'");
          assertThat(e.toJson().getString("code")).isEqualTo("INVALID_REQUEST");
        });
  }

  /**
   * Verifies that an assistant without model gets the builtin one, and that the memory keeps only what
   * was given: its defaults are the store's (MemoryPolicy, tested in AssistantStoreTest).
   */
  @Test
  @DisplayName("An assistant gets the builtin model by default; its memory keeps only what was given")
  void assistantDefaults() {
    JsonObject assistant = CreateAssistantRequest.parse(new JsonObject().put("name", "helper")).assistant();
    assertThat(assistant.getJsonObject("model").getString("provider")).isEqualTo("builtin");
    assertThat(assistant.containsKey("memory")).isFalse();
    assertThat(assistant.getString("systemPrompt")).isEmpty();
    JsonObject partial = CreateAssistantRequest.parse(new JsonObject().put("name", "helper")
        .put("memory", new JsonObject().put("maxTokens", 50))).assistant();
    assertThat(partial.getJsonObject("memory")).isEqualTo(new JsonObject().put("maxTokens", 50));
  }

  /** Verifies that generate fills a jobId when none is given and keeps the one given. */
  @Test
  @DisplayName("chat.generate generates a jobId when absent and keeps a given one")
  void generateJobIds() {
    assertThat(GenerateRequest.parse(new JsonObject().put("chatId", "c")).jobId()).isNotBlank();
    assertThat(GenerateRequest.parse(new JsonObject().put("chatId", "c").put("jobId", "job-1")).jobId())
        .isEqualTo("job-1");
  }
}
