package chatworker.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.ToIntFunction;

/**
 * What a generation needs of one stored message: its role, its text and the text's token count, with
 * its id and seq, which say where it sits in the chat (see {@link ChatHistory}). Read
 * with Jackson's streaming parser, which skips the other fields instead of building a JsonObject:
 * the history is read on every job, and that parse was the node's largest cost per job.
 */
public record HistoryMessage(String id, long seq, String role, String text, int tokens) {

  private static final JsonFactory JSON = JsonFactory.builder().build();

  /**
   * Reads a stored message. {@code tokenCounter} counts the text of a message stored before counts
   * were kept with each message.
   */
  static HistoryMessage parse(String json, ToIntFunction<String> tokenCounter) {
    String id = null;
    long seq = -1;
    String role = null;
    String text = null;
    int tokens = -1;
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalStateException("a stored message is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        switch (field) {
          case "id" -> id = parser.getText();
          case "seq" -> seq = parser.getLongValue();
          case "role" -> role = parser.getText();
          case "text" -> text = parser.getText();
          case "tokens" -> tokens = parser.getIntValue();
          default -> parser.skipChildren(); // a no-op on scalars; skips metadata objects
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a stored message is not valid JSON", e);
    }
    if (id == null || seq < 1 || role == null || text == null) {
      throw new IllegalStateException("a stored message has no id, seq, role or text");
    }
    return new HistoryMessage(id, seq, role, text, tokens >= 0 ? tokens : tokenCounter.applyAsInt(text));
  }
}
