package chatworker.model;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token counts with OpenAI's cl100k_base encoding (jtokkit). Loading the encoding reads a large
 * resource: call {@link #warmUp()} off the event loop once at start.
 */
public final class Tokenizer {

  private static final class Holder {
    static final Encoding ENCODING = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
  }

  private static final int REPEATED_KEPT = 1_024;
  private static final Map<String, Integer> REPEATED = new ConcurrentHashMap<>();

  private Tokenizer() {}

  /** Loads the encoding now (blocking): from a worker thread or the main thread only. */
  public static void warmUp() {
    count("warm up");
  }

  /** Tokens in {@code text}. */
  public static int count(String text) {
    return text == null || text.isEmpty() ? 0 : Holder.ENCODING.countTokens(text);
  }

  /**
   * Tokens in a text that comes back again and again (a system prompt: every job of an assistant
   * sends the same one), remembered for the next time. Bounded: the memory is dropped whole when it
   * holds {@value #REPEATED_KEPT} texts.
   */
  public static int countRepeated(String text) {
    Integer known = REPEATED.get(text);
    if (known != null) {
      return known;
    }
    int tokens = count(text);
    if (REPEATED.size() >= REPEATED_KEPT) {
      REPEATED.clear();
    }
    REPEATED.put(text, tokens);
    return tokens;
  }

  /** Tokens of one chat turn, with the few tokens of role framing chat formats add per message. */
  public static int countTurn(ChatTurn turn) {
    return 4 + turn.tokens();
  }
}
