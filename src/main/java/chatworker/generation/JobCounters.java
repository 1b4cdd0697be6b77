package chatworker.generation;

import chatworker.api.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Jobs of this node by outcome, for /status and metrics. Thread-safe. */
public final class JobCounters {

  final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder succeeded = new LongAdder();
  private final Map<ErrorCode, LongAdder> failedByCode = new EnumMap<>(ErrorCode.class);

  JobCounters() {
    for (ErrorCode code : ErrorCode.values()) {
      failedByCode.put(code, new LongAdder());
    }
  }

  void succeeded() {
    succeeded.increment();
  }

  void failed(ErrorCode code) {
    failedByCode.get(code).increment();
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
