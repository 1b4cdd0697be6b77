package chatworker.generation;

import chatworker.api.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Jobs of this node by outcome, for /status and metrics. Thread-safe. */
public final class JobCounters {

  /** Hears of every finished job, e.g. to time it for metrics. */
  @FunctionalInterface
  public interface Listener {
    /** {@code code} is null when the job succeeded. */
    void finished(ErrorCode code, long durationNanos);
  }

  private static final Listener NONE = (code, durationNanos) -> { };

  final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder succeeded = new LongAdder();
  private final Map<ErrorCode, LongAdder> failedByCode = new EnumMap<>(ErrorCode.class);
  private volatile Listener listener = NONE;

  JobCounters() {
    for (ErrorCode code : ErrorCode.values()) {
      failedByCode.put(code, new LongAdder());
    }
  }

  void succeeded(long durationNanos) {
    succeeded.increment();
    listener.finished(null, durationNanos);
  }

  void failed(ErrorCode code, long durationNanos) {
    failedByCode.get(code).increment();
    listener.finished(code, durationNanos);
  }

  /** Replaces the listener (one at a time); null removes it. */
  public void listen(Listener newListener) {
    listener = newListener == null ? NONE : newListener;
  }

  public int inFlight() {
    return inFlight.get();
  }

  public long succeededCount() {
    return succeeded.sum();
  }

  public long failedCount(ErrorCode code) {
    return failedByCode.get(code).sum();
  }

  /** {@code {inFlight, succeeded, failed, cancelled, failedByCode}}: cancelled jobs are not counted as failed. */
  public JsonObject toJson() {
    JsonObject byCode = new JsonObject();
    long failed = 0;
    for (Map.Entry<ErrorCode, LongAdder> entry : failedByCode.entrySet()) {
      long count = entry.getValue().sum();
      byCode.put(entry.getKey().name(), count);
      failed += entry.getKey() == ErrorCode.CANCELLED ? 0 : count;
    }
    return new JsonObject().put("inFlight", inFlight.get()).put("succeeded", succeeded.sum())
        .put("failed", failed).put("cancelled", failedByCode.get(ErrorCode.CANCELLED).sum())
        .put("failedByCode", byCode);
  }
}
