package chatworker.model;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * Token counts with OpenAI's cl100k_base encoding (jtokkit). Loading the encoding reads a large
 * resource: call {@link #warmUp()} off the event loop once at start.
 */
public final class Tokenizer {

  private static final class Holder {
    static final Encoding ENCODING = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
  }

  private Tokenizer() {}

  /** Loads the encoding now (blocking): from a worker thread or the main thread only. */
  public static void warmUp() {
    count("warm up");
  }

  /** Tokens in {@code text}. */
  public static int count(String text) {
    return text == null || text.isEmpty() ? 0 : Holder.ENCODING.countTokens(text);
  }

  /** Tokens of one chat turn, with the few tokens of role framing chat formats add per message. */
  public static int countTurn(ChatTurn turn) {
    return 4 + turn.tokens();
  }
}
