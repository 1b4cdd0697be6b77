package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * {@code chat.assistants.create}: the assistant to store, validated, with the model's defaults filled
 * in (provider {@code builtin}). The memory is checked but keeps only the fields given: what it means
 * and its defaults belong to the store, which interprets it and fills them in when it stores the
 * assistant (chatworker.store.MemoryPolicy).
 */
public record CreateAssistantRequest(JsonObject assistant) {

  public static CreateAssistantRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("name", "systemPrompt", "model", "memory", "metadata"));
    JsonObject assistant = new JsonObject()
        .put("name", in.requiredString("name", 200))
        .put("systemPrompt", orEmpty(in.optionalString("systemPrompt", BodyReader.MAX_TEXT)))
        .put("model", model(in.nested("model", Set.of("provider", "name", "options"))));
    JsonObject memory = memory(in.nested("memory", Set.of("type", "maxMessages", "maxTokens")));
    if (memory != null) {
      assistant.put("memory", memory);
    }
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

  /** The memory as given, checked against the contract; null when absent. */
  private static JsonObject memory(BodyReader memory) {
    if (memory == null) {
      return null;
    }
    JsonObject checked = new JsonObject();
    String type = memory.optionalString("type", 20);
    if (type != null) {
      if (!Set.of("zero", "naive", "message_window").contains(type)) {
        throw ApiException.invalid("memory.type", "must be zero, naive or message_window");
      }
      checked.put("type", type);
    }
    Integer maxMessages = memory.optionalInt("maxMessages", 1, 1_000);
    if (maxMessages != null) {
      checked.put("maxMessages", maxMessages);
    }
    Integer maxTokens = memory.optionalInt("maxTokens", 1, 1_000_000);
    if (maxTokens != null) {
      checked.put("maxTokens", maxTokens);
    }
    return checked;
  }

  private static String orEmpty(String text) {
    return text == null ? "" : text;
  }
}
