package chatworker.bench;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop {@code chat.generate} load: {@code callers} callers on one context, each sending a
 * generate on a chat no other caller holds (round robin over the chats) and the next as soon as the
 * reply came, or 1 ms after a failure. A {@link Generate} carries each one: a node's event bus (the
 * default), or another way in such as the HTTP API. While recording, it counts the replies
 * and the failures by code, and records send → reply latency; a reply other than "You said: <text>"
 * fails as {@code WRONG_REPLY}. Each second it logs a line on stderr (answered, failed, in flight, the
 * slowest reply), so that a p99 can be told from a stall or from a machine slow throughout. Its
 * fields are touched on that context only; {@link #start}, {@link #startRecording},
 * {@link #stopRecording} and {@link #drain} are called from the main thread.
 */
final class ClosedLoop {

  private static final long MAX_RECORDED_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final String WRONG_REPLY = "WRONG_REPLY";

  /**
   * One generate of {@code text} on a chat under an idempotency key, answered with the
   * {@code chat.generate} reply, or failed (with an {@link ApiException} for a contract failure).
   */
  @FunctionalInterface
  interface Generate {
    Future<JsonObject> send(String chatId, String jobId, String text);
  }

  /** {@code chat.generate} on {@code on}'s event bus. */
  static Generate eventBus(Vertx on) {
    return (chatId, jobId, text) -> BenchChats.request(on, Addresses.GENERATE,
        new JsonObject().put("chatId", chatId).put("jobId", jobId).put("text", text));
  }

  /** What a recorded window measured; {@code errorsOutside} are the failures before and after it. */
  record Result(long jobs, double seconds, double p50Ms, double p99Ms, Map<String, Integer> errorsByCode,
      Map<String, Integer> errorsOutside) {

    double jobsPerSec() {
      return jobs / seconds;
    }

    long errors() {
      return errorsByCode.values().stream().mapToLong(Integer::longValue).sum();
    }
  }

  private final Vertx vertx;
  private final Generate generate;
  private final String label;
  // Job ids unique across loops, so that a loop on chats another one used is never answered a stored reply.
  private final String jobPrefix = "bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-";
  private final Context context;
  private final List<String> chats;
  private final boolean[] busy;
  private final int callers;
  private final Histogram latency = new Histogram(MAX_RECORDED_NANOS, 3);
  private final Map<String, Integer> errorsByCode = new TreeMap<>();
  private final Map<String, Integer> errorsOutside = new TreeMap<>();
  private final Set<String> loggedCodes = new HashSet<>();
  private final Promise<Void> drained = Promise.promise();
  private int cursor;
  private int inFlight;
  private long jobCounter;
  private boolean recording;
  private boolean stopping;
  private long jobs;
  private long recordStart;
  private long recordEnd;
  private long timeline;
  private long second;
  private long secondAnswered;
  private long secondFailed;
  private long secondMaxNanos;

  /** Generates on {@code vertx}'s event bus; {@code label} starts each line of the timeline. */
  ClosedLoop(Vertx vertx, String label, List<String> chats, int callers) {
    this(vertx, label, chats, callers, eventBus(vertx));
  }

  /** Generates through {@code generate}, its callers on a context of {@code vertx}. */
  ClosedLoop(Vertx vertx, String label, List<String> chats, int callers, Generate generate) {
    if (callers > chats.size()) {
      throw new IllegalArgumentException(callers + " callers need as many chats, not " + chats.size());
    }
    this.vertx = vertx;
    this.generate = generate;
    this.label = label;
    this.context = vertx.getOrCreateContext();
    this.chats = chats;
    this.busy = new boolean[chats.size()];
    this.callers = callers;
  }

  /** Starts the callers; nothing is recorded yet (the warm-up). */
  void start() {
    context.runOnContext(v -> {
      for (int i = 0; i < callers; i++) {
        next();
      }
      timeline = vertx.setPeriodic(1_000, t -> logSecond());
    });
  }

  /** From now on replies, failures and latencies count. */
  void startRecording() {
    context.runOnContext(v -> {
      recording = true;
      recordStart = System.nanoTime();
    });
  }

  /** Stops counting and sending; returns once the callers' context has seen it. Jobs in flight still end. */
  void stopRecording() throws Exception {
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    context.runOnContext(v -> {
      recordEnd = System.nanoTime();
      recording = false;
      stopping = true;
      vertx.cancelTimer(timeline);
      if (inFlight == 0) {
        drained.tryComplete();
      }
      stopped.complete(null);
    });
    stopped.get(30, TimeUnit.SECONDS);
  }

  /** Waits until the jobs in flight have ended, and returns what the recorded window measured. */
  Result drain() throws Exception {
    drained.future().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    CompletableFuture<Result> result = new CompletableFuture<>();
    context.runOnContext(v -> result.complete(new Result(jobs, (recordEnd - recordStart) / 1e9,
        latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
        new TreeMap<>(errorsByCode), new TreeMap<>(errorsOutside))));
    return result.get(30, TimeUnit.SECONDS);
  }

  private void next() {
    if (stopping) {
      return;
    }
    int chat = pickChat();
    String text = "hello from a benchmark to chat " + chat;
    long sentAt = System.nanoTime();
    boolean sentRecording = recording;
    inFlight++;
    generate.send(chats.get(chat), jobPrefix + (++jobCounter), text).onComplete(ar -> {
      long now = System.nanoTime();
      busy[chat] = false;
      inFlight--;
      secondMaxNanos = Math.max(secondMaxNanos, now - sentAt);
      String failure = ar.failed() ? ApiException.fromReply(ar.cause()).code().name()
          : ("You said: " + text).equals(ar.result().getJsonObject("message").getString("text")) ? null
          : WRONG_REPLY;
      if (failure != null) {
        if (loggedCodes.add(failure)) { // the first of each code says what it is; the counts say how many
          BenchSupport.log("  %s: first %s: %s", label, failure,
              ar.failed() ? String.valueOf(ar.cause()) : ar.result().encode());
        }
        secondFailed++;
        (recording ? errorsByCode : errorsOutside).merge(failure, 1, Integer::sum);
        vertx.setTimer(1, t -> next());
      } else {
        secondAnswered++;
        if (recording) {
          jobs++;
          if (sentRecording) { // latency only of jobs sent in the window, so warm-up queues do not count
            latency.recordValue(Math.min(now - sentAt, MAX_RECORDED_NANOS));
          }
        }
        next();
      }
      if (stopping && inFlight == 0) {
        drained.tryComplete();
      }
    });
  }

  private void logSecond() {
    BenchSupport.log("  %s t+%2ds%s answered %,6d failed %,4d in flight %3d slowest %7.1f ms load %s", label,
        ++second, recording ? "*" : " ", secondAnswered, secondFailed, inFlight, secondMaxNanos / 1e6,
        BenchSupport.loadAverage(1));
    secondAnswered = 0;
    secondFailed = 0;
    secondMaxNanos = 0;
  }

  /** The next chat no caller holds, round robin (there is one: there are as many chats as callers or more). */
  private int pickChat() {
    for (int i = 0; i < busy.length; i++) {
      int c = (cursor + i) % busy.length;
      if (!busy[c]) {
        cursor = c + 1;
        busy[c] = true;
        return c;
      }
    }
    throw new IllegalStateException("every chat is busy");
  }
}
