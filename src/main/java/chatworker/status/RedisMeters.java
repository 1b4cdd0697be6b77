package chatworker.status;

import chatworker.redis.RedisFailure;
import chatworker.redis.RedisHealth;
import chatworker.redis.ResilientRedis;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The Redis layer's meters, all read from {@link ResilientRedis#health()} at scrape time: nothing is
 * counted twice, and the numbers agree with {@code /status}.
 */
final class RedisMeters {

  /** The breaker's states, one gauge each (1 for the current one): the Prometheus way for an enum. */
  static final List<String> BREAKER_STATES = List.of("CLOSED", "OPEN", "HALF_OPEN");

  private RedisMeters() {
  }

  static List<Meter> register(MeterRegistry registry, ResilientRedis redis) {
    List<Meter> meters = new ArrayList<>();
    for (String state : BREAKER_STATES) {
      meters.add(gauge(registry, redis, "chatworker.redis.breaker.state",
          "1 for the Redis circuit breaker's current state, 0 for the others",
          health -> state.equals(health.breaker()) ? 1 : 0, "state", state));
    }
    for (String state : BREAKER_STATES) {
      meters.add(FunctionCounter.builder("chatworker.redis.breaker.changes", redis,
              r -> r.health().breakerChanges().getOrDefault(state, 0L))
          .description("Times the Redis circuit breaker entered a state").tag("state", state).register(registry));
    }
    meters.add(gauge(registry, redis, "chatworker.redis.connections", "Redis connections configured",
        RedisHealth::connections));
    meters.add(gauge(registry, redis, "chatworker.redis.connections.up", "Redis connections up and usable",
        RedisHealth::connectionsUp));
    meters.add(gauge(registry, redis, "chatworker.redis.commands.in.flight",
        "Redis commands sent and not answered yet, over all connections", RedisHealth::inFlight));
    meters.add(gauge(registry, redis, "chatworker.redis.commands.max.in.flight",
        "Bound on Redis commands in flight; beyond it calls fail at once with QUEUE_FULL",
        RedisHealth::maxInFlight));
    meters.add(gauge(registry, redis, "chatworker.redis.auth.rejected",
        "1 while Redis refuses the configured credentials", health -> health.authRejected() ? 1 : 0));
    meters.add(TimeGauge.builder("chatworker.redis.ping.latency", redis, TimeUnit.MILLISECONDS,
            r -> pingMs(r.health()))
        .description("Latency of the last successful health-check PING (NaN before the first)")
        .strongReference(true).register(registry));
    meters.add(FunctionCounter.builder("chatworker.redis.reconnects", redis, r -> r.health().reconnects())
        .description("Redis connections re-established after a loss").register(registry));
    for (RedisFailure.Kind kind : RedisFailure.Kind.values()) {
      meters.add(FunctionCounter.builder("chatworker.redis.failures", redis,
              r -> r.health().failures().getOrDefault(kind.name(), 0L))
          .description("Failed Redis calls by kind (REDIS.md)").tag("kind", kind.name()).register(registry));
    }
    meters.add(FunctionCounter.builder("chatworker.redis.failovers", redis, r -> r.topology().failovers())
        .description("Redis master changes seen (sentinel: the master; cluster: the set of masters)")
        .register(registry));
    meters.add(FunctionCounter.builder("chatworker.redis.slot.map.changes", redis, r -> r.topology().slotMapChanges())
        .description("Redis Cluster slot map changes seen (failovers and resharding)").register(registry));
    meters.add(FunctionCounter.builder("chatworker.redis.redirects", redis, r -> r.topology().redirects())
        .description("MOVED and ASK replies received from Redis Cluster nodes (followed by the client)")
        .register(registry));
    meters.add(FunctionCounter.builder("chatworker.redis.durability.waits", redis, r -> r.topology().waits())
        .description("WAITs sent to confirm that replicas hold acknowledged writes").register(registry));
    meters.add(FunctionCounter.builder("chatworker.redis.durability.shortfalls", redis,
            r -> r.topology().waitShortfalls())
        .description("WAITs that confirmed fewer replicas than required: their writes were answered 503")
        .register(registry));
    return meters;
  }

  private static double pingMs(RedisHealth health) {
    return health.pingMs() < 0 ? Double.NaN : health.pingMs();
  }

  private static Meter gauge(MeterRegistry registry, ResilientRedis redis, String name, String description,
      ToDoubleFunction<RedisHealth> value, String... tags) {
    return Gauge.builder(name, redis, r -> value.applyAsDouble(r.health())).description(description)
        .tags(tags).strongReference(true).register(registry);
  }
}
