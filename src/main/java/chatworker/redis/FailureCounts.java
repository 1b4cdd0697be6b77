package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Failed calls by kind, counted where a failure reaches a caller (for /status and /metrics). */
final class FailureCounts {

  private final Map<Kind, LongAdder> counts = new EnumMap<>(Kind.class);

  FailureCounts() {
    for (Kind kind : Kind.values()) {
      counts.put(kind, new LongAdder());
    }
  }

  /** Counts {@code failure} and returns it. */
  RedisFailure counted(RedisFailure failure) {
    counts.get(failure.kind()).increment();
    return failure;
  }

  /** The counts by kind name, in the order of {@link Kind}. */
  Map<String, Long> snapshot() {
    Map<String, Long> snapshot = new LinkedHashMap<>();
    counts.forEach((kind, count) -> snapshot.put(kind.name(), count.sum()));
    return snapshot;
  }
}
