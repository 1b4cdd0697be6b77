package chatworker.model;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a provider is asked: the model's name, its options (temperature, maxTokens, tokenDelayMs…),
 * and the conversation, system prompt first, the pending user turn last.
 */
public record ModelRequest(String model, JsonObject options, List<ChatTurn> turns) {}
