package chatworker.status;

import chatworker.generation.JobCounters;
import chatworker.redis.ResilientRedis;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The node's Prometheus registry and the meters of its own ({@code chatworker_*}), next to Vert.x's
 * ({@code vertx_*}) and the JVM's when Vert.x was built by {@link #vertxBuilder}.
 *
 * <pre>{@code
 * Vertx vertx = Metrics.vertxBuilder(options).build();          // the launcher's hook does this
 * Metrics metrics = Metrics.forVertx(vertx).bindRedis(redis).bindJobs(counters).bindCluster(members);
 * PrometheusScrapingHandler.create(metrics.registry());         // GET /metrics
 * metrics.close();                                              // removes our meters
 * }</pre>
 *
 * <p>A Vert.x built without it (a plain {@code Vertx.vertx()} in tests) has no Micrometer backend:
 * then the registry is our own, and {@code /metrics} serves our meters without Vert.x's. No meter
 * holds a secret: the Redis URL and the API key are never labels or values.
 */
public final class Metrics implements AutoCloseable {

  /** The name Vert.x's Micrometer backend files our registry under, so the node can find it. */
  public static final String REGISTRY_NAME = "chat-worker";

  private final PrometheusMeterRegistry registry;
  private final boolean owned;
  private final List<Meter> meters = new ArrayList<>();
  private final List<Runnable> unbinds = new ArrayList<>();

  private Metrics(PrometheusMeterRegistry registry, boolean owned) {
    this.registry = registry;
    this.owned = owned;
  }

  /**
   * A Vert.x builder whose Vert.x reports its metrics (event bus, HTTP, net, pools, JVM) into a new
   * Prometheus registry, found again by {@link #forVertx}. Replaces the options' metrics options.
   */
  public static VertxBuilder vertxBuilder(VertxOptions options) {
    LibraryGaugeWarningFilter.install(); // vertx-micrometer's own noise, see there
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
        .setRegistryName(REGISTRY_NAME));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
  }

  /**
   * The registry Vert.x reports into when it was built by {@link #vertxBuilder}; otherwise a new
   * registry of our own, closed by {@link #close()}.
   */
  public static Metrics forVertx(Vertx vertx) {
    if (vertx.isMetricsEnabled()
        && BackendRegistries.getNow(REGISTRY_NAME) instanceof PrometheusMeterRegistry shared) {
      return new Metrics(shared, false);
    }
    return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Breaker state, connections, commands in flight, reconnects, PING latency, failures by kind. */
  public Metrics bindRedis(ResilientRedis redis) {
    meters.addAll(RedisMeters.register(registry, redis));
    return this;
  }

  /** Jobs in flight, finished jobs by outcome and code, and their durations. */
  public Metrics bindJobs(JobCounters counters) {
    JobMeters jobs = new JobMeters(registry, counters);
    meters.addAll(jobs.meters());
    counters.listen(jobs);
    unbinds.add(() -> counters.listen(null));
    return this;
  }

  /** How many members the cluster has, as this node sees it. */
  public Metrics bindCluster(Supplier<List<String>> members) {
    meters.add(Gauge.builder("chatworker.cluster.members", members, m -> m.get().size())
        .description("Members of the cluster as this node sees them").strongReference(true)
        .register(registry));
    return this;
  }

  /**
   * Failed TLS handshakes on the event bus, {@code chatworker.cluster.tls.rejected}: by this node
   * ({@code refused_by="node"}: a member's certificate or handshake refused) and by a member
   * ({@code refused_by="member"}: this node's certificate refused).
   */
  public Metrics bindTlsRejections(LongSupplier refusedByNode, LongSupplier refusedByMember) {
    for (var refused : Map.of("node", refusedByNode, "member", refusedByMember).entrySet()) {
      meters.add(FunctionCounter.builder("chatworker.cluster.tls.rejected", refused.getValue(),
              LongSupplier::getAsLong)
          .description("Failed TLS handshakes between event-bus members").tag("refused_by", refused.getKey())
          .register(registry));
    }
    return this;
  }

  /** Removes our meters (Vert.x's stay with Vert.x); closes the registry when it is our own. */
  @Override
  public void close() {
    unbinds.forEach(Runnable::run);
    unbinds.clear();
    meters.forEach(registry::remove);
    meters.clear();
    if (owned) {
      registry.close();
    }
  }
}
