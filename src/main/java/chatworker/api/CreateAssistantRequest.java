package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * {@code chat.assistants.create}: the assistant to store, normalized with its defaults filled in
 * (model {@code builtin}; memory {@code message_window} of 20 messages and 4,096 tokens).
 */
public record CreateAssistantRequest(JsonObject assistant) {

  public static final int DEFAULT_MAX_MESSAGES = 20;
  public static final int DEFAULT_MAX_TOKENS = 4_096;

  public static CreateAssistantRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("name", "systemPrompt", "model", "memory", "metadata"));
    JsonObject assistant = new JsonObject()
        .put("name", in.requiredString("name", 200))
        .put("systemPrompt", orEmpty(in.optionalString("systemPrompt", BodyReader.MAX_TEXT)))
        .put("model", model(in.nested("model", Set.of("provider", "name", "options"))))
        .put("memory", memory(in.nested("memory", Set.of("type", "maxMessages", "maxTokens"))));
    JsonObject metadata = in.optionalMetadata("metadata");
    if (metadata != null) {
      assistant.put("metadata", metadata);
    }
    return new CreateAssistantRequest(assistant);
  }

  private static JsonObject model(BodyReader model) {
    if (model == null) {
      return new JsonObject().put("provider", "builtin").put("name", "builtin").put("options", new JsonObject());
    }
    String provider = model.optionalString("provider", 20);
    provider = provider == null ? "builtin" : provider;
    if (!provider.equals("builtin") && !provider.equals("openai")) {
      throw ApiException.invalid("model.provider", "must be builtin or openai");
    }
    String name = model.optionalString("name", 200);
    if (provider.equals("openai") && (name == null || name.isBlank())) {
      throw ApiException.invalid("model.name", "is required for the openai provider");
    }
    JsonObject options = model.optionalMetadata("options");
    options = options == null ? new JsonObject() : options;
    Object delay = options.getValue("tokenDelayMs");
    if (delay != null && (!(delay instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1000
        || n.doubleValue() != Math.rint(n.doubleValue()))) {
      throw ApiException.invalid("model.options.tokenDelayMs", "must be a whole number between 0 and 1000");
    }
    return new JsonObject().put("provider", provider).put("name", name == null ? provider : name)
        .put("options", options);
  }

  private static JsonObject memory(BodyReader memory) {
    if (memory == null) {
      return new JsonObject().put("type", "message_window")
          .put("maxMessages", DEFAULT_MAX_MESSAGES).put("maxTokens", DEFAULT_MAX_TOKENS);
    }
    String type = memory.optionalString("type", 20);
    type = type == null ? "message_window" : type;
    if (!Set.of("zero", "naive", "message_window").contains(type)) {
      throw ApiException.invalid("memory.type", "must be zero, naive or message_window");
    }
    Integer maxMessages = memory.optionalInt("maxMessages", 1, 1_000);
    Integer maxTokens = memory.optionalInt("maxTokens", 1, 1_000_000);
    return new JsonObject().put("type", type)
        .put("maxMessages", maxMessages == null ? DEFAULT_MAX_MESSAGES : maxMessages)
        .put("maxTokens", maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens);
  }

  private static String orEmpty(String text) {
    return text == null ? "" : text;
  }
}
