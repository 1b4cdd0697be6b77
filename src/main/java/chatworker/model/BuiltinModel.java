package chatworker.model;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The built-in model: deterministic, no network. It answers from the conversation's last user turn,
 * so a reader can tell which conversation a reply belongs to: {@code "You said: <text>"}. It streams
 * word by word, waiting {@code options.tokenDelayMs} (0..1000, default 0) before each word.
 */
public final class BuiltinModel implements ModelProvider {

  public static final String NAME = "builtin";
  private static final String PREFIX = "You said: ";

  private final Vertx vertx;

  public BuiltinModel(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The reply the builtin model gives to a conversation whose last user turn is {@code userText}. */
  public static String replyTo(String userText) {
    return PREFIX + userText;
  }

  @Override
  public ModelCall generate(ModelRequest request, Consumer<String> onDelta) {
    String lastUser = null;
    int promptTokens = 0;
    for (ChatTurn turn : request.turns()) {
      promptTokens += Tokenizer.countTurn(turn); // counts kept with the turns: no re-tokenizing
      if ("user".equals(turn.role())) {
        lastUser = turn.text();
      }
    }
    String text = replyTo(lastUser == null ? "" : lastUser);
    long delay = request.options() == null ? 0 : request.options().getLong("tokenDelayMs", 0L);
    int textTokens = Tokenizer.count(text);
    return new Streaming(vertx, words(text), delay, onDelta,
        new ModelReply(text, promptTokens, textTokens, textTokens));
  }

  /** Splits into words, each keeping the space before it, so that the deltas concatenate to the text. */
  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    int start = 0;
    for (int i = 1; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        words.add(text.substring(start, i));
        start = i;
      }
    }
    words.add(text.substring(start));
    return words;
  }

  /** Emits the words on the caller's context, each after the delay, until done or cancelled. */
  private static final class Streaming implements ModelCall {
    private final Vertx vertx;
    private final Context context;
    private final List<String> words;
    private final long delay;
    private final Consumer<String> onDelta;
    private final ModelReply reply;
    private final Promise<ModelReply> result = Promise.promise();
    private long timer = -1;
    private int next;

    Streaming(Vertx vertx, List<String> words, long delay, Consumer<String> onDelta, ModelReply reply) {
      this.vertx = vertx;
      this.context = vertx.getOrCreateContext();
      this.words = words;
      this.delay = delay;
      this.onDelta = onDelta;
      this.reply = reply;
      step();
    }

    private void step() {
      if (delay > 0) {
        timer = vertx.setTimer(delay, t -> emit(1));
      } else {
        context.runOnContext(v -> emit(words.size()));
      }
    }

    /** Emits up to {@code count} words (all at once without a delay), then schedules the rest. */
    private void emit(int count) {
      timer = -1;
      for (int i = 0; i < count && next < words.size(); i++) {
        if (result.future().isComplete()) {
          return;
        }
        onDelta.accept(words.get(next++));
      }
      if (next == words.size()) {
        result.tryComplete(reply);
      } else {
        step();
      }
    }

    @Override
    public Future<ModelReply> result() {
      return result.future();
    }

    @Override
    public void cancel() {
      context.runOnContext(v -> {
        if (timer != -1) {
          vertx.cancelTimer(timer);
        }
        result.tryFail(new ModelException("cancelled"));
      });
    }
  }
}
