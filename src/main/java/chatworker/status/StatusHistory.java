package chatworker.status;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;

/**
 * The last samples of a node ({@link NodeSnapshot#sample}), oldest first, at most {@link #capacity()}:
 * the console draws its charts from them and computes rates from consecutive cumulative counters.
 * The node adds one every {@link #periodMs()}; the oldest goes when it is full. Thread-safe.
 */
public final class StatusHistory {

  /** A sample every 2 s … */
  public static final long DEFAULT_PERIOD_MS = 2_000;
  /** … kept for 5 minutes. */
  public static final int DEFAULT_CAPACITY = 150;

  private final long periodMs;
  private final int capacity;
  private final ArrayDeque<JsonObject> samples;

  public StatusHistory() {
    this(DEFAULT_PERIOD_MS, DEFAULT_CAPACITY);
  }

  public StatusHistory(long periodMs, int capacity) {
    if (periodMs < 1 || capacity < 1) {
      throw new IllegalArgumentException("period and capacity must be positive");
    }
    this.periodMs = periodMs;
    this.capacity = capacity;
    this.samples = new ArrayDeque<>(capacity);
  }

  public long periodMs() {
    return periodMs;
  }

  public int capacity() {
    return capacity;
  }

  /** Keeps a copy of {@code sample}, dropping the oldest when full. */
  public synchronized void add(JsonObject sample) {
    if (samples.size() == capacity) {
      samples.removeFirst();
    }
    samples.addLast(sample.copy());
  }

  /** {@code {"periodMs": …, "samples": [… oldest first …]}}, a copy. */
  public synchronized JsonObject toJson() {
    JsonArray list = new JsonArray();
    samples.forEach(sample -> list.add(sample.copy()));
    return new JsonObject().put("periodMs", periodMs).put("samples", list);
  }
}
