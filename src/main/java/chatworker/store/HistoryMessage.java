package chatworker.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * What a generation needs of one stored message: its role, its text and the text's token count, and
 * its seq, which says where it sits in the chat (see {@link ChatHistory}). Read with Jackson's
 * streaming parser, which skips the other fields instead of building a JsonObject: the history is
 * read on every job, and that parse was the node's largest cost per job. Nodes keep these for a
 * while, so they hold as few objects as they can: no id, and the role as a shared constant.
 */
public record HistoryMessage(long seq, String role, String text, int tokens) {

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final List<String> ROLES = List.of("user", "assistant", "system");
  private static final String ID_FIRST = "{\"id\":\"";

  /**
   * Reads a stored message. {@code tokenCounter} counts the text of a message stored before counts
   * were kept with each message.
   */
  static HistoryMessage parse(String json, ToIntFunction<String> tokenCounter) {
    long seq = -1;
    String role = null;
    String text = null;
    int tokens = -1;
    try (JsonParser parser = open(json)) {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        switch (field) {
          case "seq" -> seq = parser.getLongValue();
          case "role" -> role = canonicalRole(parser.getText());
          case "text" -> text = parser.getText();
          case "tokens" -> tokens = parser.getIntValue();
          default -> parser.skipChildren(); // a no-op on scalars; skips metadata objects
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a stored message is not valid JSON", e);
    }
    if (seq < 1 || role == null || text == null) {
      throw new IllegalStateException("a stored message has no seq, role or text");
    }
    return new HistoryMessage(seq, role, text, tokens >= 0 ? tokens : tokenCounter.applyAsInt(text));
  }

  /** The id of a stored message. */
  static String idOf(String json) {
    // MessageJson writes the id first, and ids are UUIDs: read it without a parser (one per job).
    if (json.startsWith(ID_FIRST)) {
      int end = json.indexOf('"', ID_FIRST.length());
      if (end > 0) {
        String id = json.substring(ID_FIRST.length(), end);
        if (id.indexOf('\\') < 0) {
          return id;
        }
      }
    }
    try (JsonParser parser = open(json)) {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        parser.nextToken();
        if (field.equals("id")) {
          return parser.getText();
        }
        parser.skipChildren();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("a stored message is not valid JSON", e);
    }
    throw new IllegalStateException("a stored message has no id");
  }

  /** A parser on {@code json}, past the opening brace of the object it must be. */
  private static JsonParser open(String json) throws IOException {
    JsonParser parser = JSON.createParser(json);
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      parser.close();
      throw new IllegalStateException("a stored message is not a JSON object");
    }
    return parser;
  }

  private static String canonicalRole(String role) {
    int known = ROLES.indexOf(role);
    return known >= 0 ? ROLES.get(known) : role;
  }
}
