package chatworker.generation;

import chatworker.model.ChatTurn;
import chatworker.model.Tokenizer;
import chatworker.store.HistoryMessage;
import chatworker.store.MemoryPolicy;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a model sees of a chat: the assistant's system prompt with its {@code {{variables}}} filled,
 * then the messages its memory keeps ({@link MemoryPolicy}: which ones, and the token budget),
 * trimmed to {@code maxTokens}. Trimming drops the oldest messages first and never the last one;
 * tokens are cl100k_base counts.
 */
public final class Conversation {

  private static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");

  private Conversation() {}

  /** The turns to send: system prompt first, then the kept history, oldest first. */
  public static List<ChatTurn> turns(JsonObject assistant, JsonObject variables, List<HistoryMessage> history) {
    MemoryPolicy memory = MemoryPolicy.of(assistant);
    List<HistoryMessage> kept = memory.keep(history);
    List<ChatTurn> keptTurns = new ArrayList<>(kept.size());
    for (HistoryMessage message : kept) {
      keptTurns.add(new ChatTurn(message.role(), message.text(), message.tokens()));
    }
    String system = fill(assistant.getString("systemPrompt", ""), variables);
    int systemTokens = Tokenizer.countRepeated(system);
    List<ChatTurn> turns = new ArrayList<>();
    if (!system.isEmpty()) {
      turns.add(new ChatTurn("system", system, systemTokens));
    }
    turns.addAll(trimOldest(keptTurns, memory.maxTokens() - systemTokens));
    return turns;
  }

  private static List<ChatTurn> trimOldest(List<ChatTurn> turns, int budget) {
    int used = 0;
    int first = turns.size();
    while (first > 0) {
      int cost = Tokenizer.countTurn(turns.get(first - 1));
      if (used + cost > budget && first < turns.size()) {
        break; // the newest turn is always kept, even over budget
      }
      used += cost;
      first--;
    }
    return turns.subList(first, turns.size());
  }

  /** Replaces {@code {{name}}} with the variable's value; unknown names stay as they are. */
  static String fill(String template, JsonObject variables) {
    if (variables == null || variables.isEmpty() || template.isEmpty()) {
      return template;
    }
    Matcher matcher = VARIABLE.matcher(template);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      Object value = variables.getValue(matcher.group(1));
      matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? matcher.group() : value.toString()));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
