package chatworker.store;

import io.vertx.core.json.JsonObject;

/**
 * Builds message JSON in Java so that Lua never encodes or decodes JSON. A script only knows a
 * message's seq, so Java hands it the JSON "opened" before its last field
 * ({@code {"id":…,"createdAt":"…","seq":}) and the script adds the number and the closing brace.
 * That keeps every text and metadata value exactly as Java encoded it.
 */
final class MessageJson {

  private MessageJson() {}

  /**
   * A user message without its seq: the contract's fields, the text's token count, and {@code metadata}
   * when given.
   */
  static JsonObject user(String id, String chatId, String text, int tokens, String createdAt, JsonObject metadata) {
    JsonObject message = base(id, chatId, "user", text, tokens, createdAt);
    if (metadata != null) {
      message.put("metadata", metadata);
    }
    return message;
  }

  /**
   * An assistant message without its seq: the contract's fields, the text's token count and the
   * {@code jobId} that made it.
   */
  static JsonObject assistant(String id, String chatId, String text, int tokens, String createdAt, String jobId) {
    return base(id, chatId, "assistant", text, tokens, createdAt).put("jobId", jobId);
  }

  /**
   * The encoded {@code object} with its closing brace replaced by {@code ,"field":} (or
   * {@code {"field":} when it is empty): the script appends the field's value and {@code }}.
   * {@code field} is one of our own plain names ({@code seq}, {@code message}), so it needs no escaping.
   */
  static String openField(JsonObject object, String field) {
    String encoded = object.encode();
    return encoded.substring(0, encoded.length() - 1) + (object.isEmpty() ? "" : ",") + "\"" + field + "\":";
  }

  private static JsonObject base(String id, String chatId, String role, String text, int tokens,
      String createdAt) {
    return new JsonObject()
        .put("id", id)
        .put("chatId", chatId)
        .put("role", role)
        .put("text", text)
        .put("tokens", tokens)
        .put("createdAt", createdAt);
  }
}
