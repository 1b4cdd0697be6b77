package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.UUID;

/**
 * {@code chat.generate}. {@code jobId} is generated when absent; {@code timeoutMs} defaults to the
 * node's configured job deadline (null here).
 */
public record GenerateRequest(String chatId, String jobId, String text, boolean stream, String streamAddress,
    Long timeoutMs, JsonObject systemPromptVariables) {

  /** Longest job deadline a client may ask for. */
  public static final long MAX_TIMEOUT_MS = 600_000;

  public static GenerateRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("chatId", "jobId", "text", "stream", "streamAddress",
        "timeoutMs", "systemPromptVariables"));
    String chatId = in.requiredId("chatId");
    String jobId = in.optionalId("jobId");
    String text = in.optionalString("text", BodyReader.MAX_TEXT);
    if (text != null && text.isBlank()) {
      throw ApiException.invalid("text", "must not be blank when given");
    }
    boolean stream = in.optionalBoolean("stream", false);
    String streamAddress = in.optionalString("streamAddress", 256);
    if (stream && (streamAddress == null || streamAddress.isBlank())) {
      throw ApiException.invalid("streamAddress", "is required when stream is true");
    }
    Long timeoutMs = in.optionalLong("timeoutMs", 1, MAX_TIMEOUT_MS);
    JsonObject variables = in.optionalMetadata("systemPromptVariables");
    if (variables != null) {
      variables.forEach(entry -> {
        if (!(entry.getValue() instanceof String) && !(entry.getValue() instanceof Number)
            && !(entry.getValue() instanceof Boolean)) {
          throw ApiException.invalid("systemPromptVariables." + entry.getKey(), "must be a string, number or boolean");
        }
      });
    }
    return new GenerateRequest(chatId, jobId == null ? UUID.randomUUID().toString() : jobId, text, stream,
        stream ? streamAddress : null, timeoutMs, variables);
  }
}
