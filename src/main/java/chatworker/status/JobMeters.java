package chatworker.status;

import chatworker.api.ErrorCode;
import chatworker.generation.JobCounters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The generation jobs' meters. The counts are read from {@link JobCounters} (the numbers of
 * {@code /status}); the durations are recorded as each job finishes. Every series is tagged
 * {@code outcome} (succeeded, failed, cancelled) and {@code code} (the contract's error code, or
 * {@code none} for a success).
 */
final class JobMeters implements JobCounters.Listener {

  /** The {@code code} tag of a job that succeeded. */
  static final String NO_CODE = "none";

  /** Histogram buckets from a quick builtin reply to a slow model, up to the longest job deadline. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofSeconds(60), Duration.ofSeconds(120)};

  private final List<Meter> meters = new ArrayList<>();
  private final Timer succeeded;
  private final Map<ErrorCode, Timer> failed = new EnumMap<>(ErrorCode.class);

  JobMeters(MeterRegistry registry, JobCounters counters) {
    meters.add(Gauge.builder("chatworker.jobs.in.flight", counters, JobCounters::inFlight)
        .description("Generation jobs running on this node").strongReference(true).register(registry));
    meters.add(counter(registry, counters, null));
    succeeded = timer(registry, null);
    meters.add(succeeded);
    for (ErrorCode code : ErrorCode.values()) {
      meters.add(counter(registry, counters, code));
      Timer timer = timer(registry, code);
      failed.put(code, timer);
      meters.add(timer);
    }
  }

  List<Meter> meters() {
    return meters;
  }

  @Override
  public void finished(ErrorCode code, long durationNanos) {
    (code == null ? succeeded : failed.get(code)).record(durationNanos, TimeUnit.NANOSECONDS);
  }

  /** {@code succeeded}, {@code cancelled} (not a failure, as on /status) or {@code failed}. */
  static String outcome(ErrorCode code) {
    if (code == null) {
      return "succeeded";
    }
    return code == ErrorCode.CANCELLED ? "cancelled" : "failed";
  }

  private static Meter counter(MeterRegistry registry, JobCounters counters, ErrorCode code) {
    return FunctionCounter.builder("chatworker.jobs", counters,
            c -> code == null ? c.succeededCount() : c.failedCount(code))
        .description("Generation jobs finished on this node, by outcome and error code")
        .tag("outcome", outcome(code)).tag("code", code == null ? NO_CODE : code.name()).register(registry);
  }

  private static Timer timer(MeterRegistry registry, ErrorCode code) {
    return Timer.builder("chatworker.job.duration")
        .description("How long generation jobs took, from taken to answered, by outcome and error code")
        .tag("outcome", outcome(code)).tag("code", code == null ? NO_CODE : code.name())
        .serviceLevelObjectives(BUCKETS).register(registry);
  }
}
