package chatworker.model;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The meaning of a {@code chat.completion.chunk} stream: collects the text of {@code choices[0]}, the
 * finish reason, the usage chunk ({@code stream_options.include_usage}) and the {@code [DONE]} marker.
 * Not thread-safe: one per response.
 */
final class OpenAiStream {

  private final StringBuilder text = new StringBuilder();
  private int deltas;
  private Integer promptTokens;
  private Integer completionTokens;
  private String finishReason;
  private boolean done;

  /**
   * Reads one event's data and returns the text it adds (null if none).
   *
   * @throws ModelException when the event is not a JSON object of the expected shape, or reports an error
   */
  String accept(String data) {
    if ("[DONE]".equals(data.strip())) {
      done = true;
      return null;
    }
    try {
      if (!(Json.decodeValue(data) instanceof JsonObject chunk)) {
        throw malformed();
      }
      if (chunk.getValue("error") != null || "error".equals(chunk.getValue("object"))) {
        throw new ModelException("the model server reported an error mid-stream: "
            + OpenAiErrors.clean(OpenAiErrors.message(chunk), null));
      }
      JsonObject usage = chunk.getJsonObject("usage");
      if (usage != null) {
        promptTokens = usage.getInteger("prompt_tokens", promptTokens);
        completionTokens = usage.getInteger("completion_tokens", completionTokens);
      }
      JsonObject choice = firstChoice(chunk.getJsonArray("choices"));
      if (choice == null) {
        return null;
      }
      if (choice.getString("finish_reason") != null) {
        finishReason = choice.getString("finish_reason");
      }
      JsonObject delta = choice.getJsonObject("delta");
      Object value = delta == null ? null : delta.getValue("content");
      if (value != null && !(value instanceof String)) {
        throw malformed();
      }
      String content = (String) value;
      if (content == null || content.isEmpty()) {
        return null;
      }
      deltas++;
      text.append(content);
      return content;
    } catch (DecodeException | ClassCastException e) {
      throw malformed();
    }
  }

  /** The choice of index 0 (a chunk may carry others when n > 1), or null when the chunk has none. */
  private static JsonObject firstChoice(JsonArray choices) {
    if (choices == null) {
      return null;
    }
    for (int i = 0; i < choices.size(); i++) {
      JsonObject choice = choices.getJsonObject(i);
      if (choice == null) {
        throw malformed();
      }
      Integer index = choice.getInteger("index");
      if (index == null || index == 0) {
        return choice;
      }
    }
    return null;
  }

  private static ModelException malformed() {
    return new ModelException("model stream malformed: an event is not a chat completion chunk");
  }

  /** Whether {@code data: [DONE]} arrived. */
  boolean done() {
    return done;
  }

  /** Whether the reply is whole: {@code [DONE]} arrived, or at least a finish reason. */
  boolean complete() {
    return done || finishReason != null;
  }

  /**
   * The reply. Token counts come from the server's usage chunk; without one the prompt is the turns'
   * cl100k_base counts and the completion one token per non-empty delta (servers stream about one
   * token per chunk).
   */
  ModelReply reply(List<ChatTurn> turns) {
    int prompt = promptTokens != null ? promptTokens : estimatePrompt(turns);
    int completion = completionTokens != null ? completionTokens : deltas;
    return new ModelReply(text.toString(), prompt, completion);
  }

  private static int estimatePrompt(List<ChatTurn> turns) {
    long total = 0;
    for (ChatTurn turn : turns) {
      total += Tokenizer.countTurn(turn);
    }
    return (int) Math.min(Integer.MAX_VALUE, total);
  }
}
