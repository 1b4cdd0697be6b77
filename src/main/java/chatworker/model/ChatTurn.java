package chatworker.model;

/**
 * One message of the conversation sent to a model: role is system, user or assistant, and
 * {@code tokens} the cl100k_base count of its text (counted once, when the message was stored).
 */
public record ChatTurn(String role, String text, int tokens) {

  /** A turn whose text is counted now. */
  public ChatTurn(String role, String text) {
    this(role, text, Tokenizer.count(text));
  }
}
