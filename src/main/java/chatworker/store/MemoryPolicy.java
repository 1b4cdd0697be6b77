package chatworker.store;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * An assistant's memory: which of a chat's messages a generation sees. This is the one owner of what
 * the assistant's {@code memory} object means and of its defaults:
 *
 * <ul>
 *   <li>{@code zero}: only the pending user turn;
 *   <li>{@code naive}: the whole history (up to {@value #MAX_HISTORY} messages), trimmed to
 *       {@code maxTokens};
 *   <li>{@code message_window} (the default): the last {@code maxMessages} messages, trimmed to
 *       {@code maxTokens}.
 * </ul>
 *
 * The store reads as many messages as the memory keeps ({@link #historyLimit}); the generation picks
 * them ({@link #keep}) and trims them to {@link #maxTokens} with its tokenizer. An assistant is stored
 * with its memory complete ({@link AssistantStore#create} fills in the defaults), so a chat's snapshot
 * says how it behaves whatever the defaults become later; reading applies the same defaults to an
 * assistant stored without them.
 *
 * @param type        which messages are kept
 * @param maxMessages the window of {@code message_window}
 * @param maxTokens   the most tokens of system prompt and messages sent to the model
 */
public record MemoryPolicy(Type type, int maxMessages, int maxTokens) {

  public static final int DEFAULT_MAX_MESSAGES = 20;
  public static final int DEFAULT_MAX_TOKENS = 4_096;
  /** The most messages a job reads back (what {@code naive} keeps). */
  public static final int MAX_HISTORY = 1_000;

  /** The memory types, by their names in the contract. */
  public enum Type {
    ZERO("zero"), NAIVE("naive"), MESSAGE_WINDOW("message_window");

    private final String contractName;

    Type(String contractName) {
      this.contractName = contractName;
    }

    /** The name in the contract's {@code memory.type}. */
    public String contractName() {
      return contractName;
    }

    /** The type named {@code name}; {@code message_window} for null (or a name this version does not know). */
    static Type named(String name) {
      return name == null ? MESSAGE_WINDOW : switch (name) {
        case "zero" -> ZERO;
        case "naive" -> NAIVE;
        default -> MESSAGE_WINDOW;
      };
    }
  }

  /** The memory of {@code assistant} (its {@code memory} object), with defaults for what it leaves out. */
  public static MemoryPolicy of(JsonObject assistant) {
    return fromJson(assistant.getJsonObject("memory"));
  }

  /** The memory {@code {type?, maxMessages?, maxTokens?}} (null: all defaults). */
  public static MemoryPolicy fromJson(JsonObject memory) {
    if (memory == null) {
      return new MemoryPolicy(Type.MESSAGE_WINDOW, DEFAULT_MAX_MESSAGES, DEFAULT_MAX_TOKENS);
    }
    return new MemoryPolicy(Type.named(memory.getString("type")),
        memory.getInteger("maxMessages", DEFAULT_MAX_MESSAGES), memory.getInteger("maxTokens", DEFAULT_MAX_TOKENS));
  }

  /** {@code {type, maxMessages, maxTokens}}, as the contract shows an assistant's memory. */
  public JsonObject toJson() {
    return new JsonObject().put("type", type.contractName()).put("maxMessages", maxMessages)
        .put("maxTokens", maxTokens);
  }

  /** How many of a chat's newest messages a job reads: zero 1 (the pending user turn), naive all it may, window its size. */
  public int historyLimit() {
    return switch (type) {
      case ZERO -> 1;
      case NAIVE -> MAX_HISTORY;
      case MESSAGE_WINDOW -> Math.min(MAX_HISTORY, maxMessages);
    };
  }

  /**
   * The messages this memory keeps of {@code history} (oldest first, the pending user turn last), before
   * the token budget: zero the last one if it is the user's, message_window the last {@code maxMessages}.
   */
  public List<HistoryMessage> keep(List<HistoryMessage> history) {
    return switch (type) {
      case ZERO -> history.isEmpty() || !"user".equals(history.get(history.size() - 1).role())
          ? List.of() : List.of(history.get(history.size() - 1));
      case NAIVE -> history;
      case MESSAGE_WINDOW -> history.subList(Math.max(0, history.size() - maxMessages), history.size());
    };
  }
}
