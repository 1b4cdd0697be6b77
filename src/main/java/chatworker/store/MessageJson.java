package chatworker.store;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonObject;

/**
 * Builds message JSON in Java so that Lua never encodes or decodes JSON. A script only knows a
 * message's seq, so Java hands it the JSON "opened" before its last field
 * ({@code {"id":…,"createdAt":"…","seq":}) and the script adds the number and the closing brace.
 * That keeps every text and metadata value exactly as Java encoded it.
 *
 * <p>Messages are written straight into a string with Jackson's escaping (what {@code encode()} would
 * give, without building a {@code JsonObject} first): a job writes two per run.
 */
final class MessageJson {

  private static final JsonStringEncoder ESCAPE = JsonStringEncoder.getInstance();

  private MessageJson() {}

  /**
   * A user message opened before its seq: the contract's fields, the text's token count, and
   * {@code metadata} when given.
   */
  static String openUser(String id, String chatId, String text, int tokens, String createdAt, JsonObject metadata) {
    StringBuilder json = base(id, chatId, "user", text, tokens, createdAt);
    if (metadata != null) {
      json.append(",\"metadata\":").append(metadata.encode());
    }
    return json.append(",\"seq\":").toString();
  }

  /**
   * An assistant message opened before its seq: the contract's fields, the text's token count and
   * the {@code jobId} that made it.
   */
  static String openAssistant(String id, String chatId, String text, int tokens, String createdAt, String jobId) {
    StringBuilder json = base(id, chatId, "assistant", text, tokens, createdAt);
    return string(json.append(",\"jobId\":"), jobId).append(",\"seq\":").toString();
  }

  /** The message {@link #openAssistant} wrote for {@code r}, as an object, with its {@code seq}. */
  static JsonObject assistantObject(CommitRequest r, long seq) {
    return new JsonObject()
        .put("id", r.assistantMessageId())
        .put("chatId", r.chatId())
        .put("role", "assistant")
        .put("text", r.assistantText())
        .put("tokens", r.assistantTokens())
        .put("createdAt", r.now())
        .put("jobId", r.jobId())
        .put("seq", seq);
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

  private static StringBuilder base(String id, String chatId, String role, String text, int tokens,
      String createdAt) {
    StringBuilder json = new StringBuilder(text.length() + 192);
    string(json.append("{\"id\":"), id);
    string(json.append(",\"chatId\":"), chatId);
    json.append(",\"role\":\"").append(role).append('"');
    string(json.append(",\"text\":"), text);
    json.append(",\"tokens\":").append(tokens);
    return string(json.append(",\"createdAt\":"), createdAt);
  }

  private static StringBuilder string(StringBuilder json, String value) {
    json.append('"');
    ESCAPE.quoteAsString(value, json);
    return json.append('"');
  }
}
