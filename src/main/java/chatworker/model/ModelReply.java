package chatworker.model;

/**
 * A finished reply and its token usage.
 *
 * @param promptTokens     the prompt's tokens, as the model reports them
 * @param completionTokens the reply's tokens, as the model reports them
 * @param textTokens       the cl100k_base count of {@code text}: what the store keeps with the message
 *                         (the memory windows are trimmed by it), whatever the model's own tokenizer
 */
public record ModelReply(String text, int promptTokens, int completionTokens, int textTokens) {

  /** A reply whose text is counted now. */
  public ModelReply(String text, int promptTokens, int completionTokens) {
    this(text, promptTokens, completionTokens, Tokenizer.count(text));
  }
}
