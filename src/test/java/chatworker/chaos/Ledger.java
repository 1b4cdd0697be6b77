package chatworker.chaos;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything the load client saw, thread-safe: one event per request answered (or not), the chats
 * with the texts sent to them and the messages acknowledged, the generates that got no answer, and
 * the anomalies found on the way (cross-talk). The verifier and the report read it at the end.
 */
final class Ledger {

  /** "OK" for a success, the contract code name for a failure, NO_ANSWER when nothing came back. */
  record Event(long endMs, long latencyMs, String op, String outcome) {

    /** When the request was sent (ms since the run started). */
    long startMs() {
      return endMs - latencyMs;
    }
  }

  /** What one chat should hold, and when each piece was acknowledged (ms since the run started). */
  static final class ChatRecord {
    final String chatId;
    final Set<String> texts = ConcurrentHashMap.newKeySet();
    /** Message id → when a success reply carried it. */
    final Map<String, Long> ackedMessages = new ConcurrentHashMap<>();
    /** User text of a successful generate → when it succeeded. */
    final Map<String, Long> ackedUserTexts = new ConcurrentHashMap<>();
    /** When chats.create answered (-1: not created through the load users). */
    volatile long createdMs = -1;

    ChatRecord(String chatId) {
      this.chatId = chatId;
    }
  }

  final long startNanos = System.nanoTime();
  final AtomicLong sent = new AtomicLong();
  final Queue<Event> events = new ConcurrentLinkedQueue<>();
  final Map<String, ChatRecord> chats = new ConcurrentHashMap<>();
  /** Generates that got no answer after the client's own resends: jobId → the request body. */
  final Map<String, JsonObject> unanswered = new ConcurrentHashMap<>();
  /** What the client sent and saw per generate jobId (for diagnosing a lock or record left behind). */
  final Map<String, String> jobNotes = new ConcurrentHashMap<>();
  /** Generates answered TIMEOUT or CANCELLED: jobId → when the answer came (ms since start). */
  final Map<String, Long> endedJobs = new ConcurrentHashMap<>();
  final Queue<String> crossTalk = new ConcurrentLinkedQueue<>();
  /**
   * Requests that failed although the user did not ask for it (a cancel, a 1–5 ms deadline), after
   * the client's resends: {@code code} → one line per request ({@code t=…ms op jobId}).
   */
  final Map<String, Queue<String>> unexpectedFailures = new ConcurrentHashMap<>();
  final Queue<JsonObject> faults = new ConcurrentLinkedQueue<>();
  /**
   * Chats a user is working on right now (created, turns not finished): what a topology fault aims at,
   * so that a failover or a slot move hits keys under load.
   */
  final Set<String> liveChats = ConcurrentHashMap.newKeySet();

  long nowMs() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  void record(long startMs, String op, String outcome) {
    long end = nowMs();
    events.add(new Event(end, end - startMs, op, outcome));
  }

  void unexpectedFailure(String code, String what) {
    unexpectedFailures.computeIfAbsent(code, c -> new ConcurrentLinkedQueue<>()).add("t=" + nowMs() + "ms " + what);
  }

  ChatRecord chat(String chatId) {
    return chats.computeIfAbsent(chatId, ChatRecord::new);
  }

  /**
   * The fault whose time (from its start to 5 s after its end) holds {@code ms}, or "away from faults":
   * where an acknowledged write that went missing was acknowledged.
   */
  String window(long ms) {
    for (JsonObject f : faults) {
      if (ms >= f.getLong("startMs") && ms <= f.getLong("endMs", f.getLong("healMs")) + 5_000) {
        return f.getString("fault");
      }
    }
    return "away from faults";
  }

  void crossTalk(String what) {
    crossTalk.add(what);
  }

  /** Events sorted by completion time. */
  List<Event> sortedEvents() {
    List<Event> list = new ArrayList<>(events);
    list.sort((a, b) -> Long.compare(a.endMs(), b.endMs()));
    return list;
  }

  /** Per-second buckets: completed, succeeded, p50/p99 of answered requests, failures by code. */
  List<JsonObject> buckets(long untilMs) {
    int seconds = (int) (untilMs / 1000) + 1;
    List<List<Long>> latencies = new ArrayList<>();
    List<Map<String, Integer>> codes = new ArrayList<>();
    int[] ok = new int[seconds];
    for (int i = 0; i < seconds; i++) {
      latencies.add(new ArrayList<>());
      codes.add(new TreeMap<>());
    }
    for (Event e : events) {
      int s = (int) (e.endMs() / 1000);
      if (s >= seconds) {
        continue;
      }
      if (!e.outcome().equals("NO_ANSWER")) {
        latencies.get(s).add(e.latencyMs());
      }
      if (e.outcome().equals("OK")) {
        ok[s]++;
      } else {
        codes.get(s).merge(e.outcome(), 1, Integer::sum);
      }
    }
    List<JsonObject> out = new ArrayList<>();
    for (int s = 0; s < seconds; s++) {
      List<Long> l = latencies.get(s);
      l.sort(Long::compare);
      JsonObject codeJson = new JsonObject();
      codes.get(s).forEach(codeJson::put);
      out.add(new JsonObject().put("t", s).put("succeeded", ok[s])
          .put("failed", codes.get(s).values().stream().mapToInt(Integer::intValue).sum())
          .put("p50", percentile(l, 0.50)).put("p99", percentile(l, 0.99)).put("codes", codeJson));
    }
    return out;
  }

  private static long percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return 0;
    }
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }
}
