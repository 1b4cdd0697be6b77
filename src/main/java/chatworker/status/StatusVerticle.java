package chatworker.status;

import chatworker.http.HttpApi;
import chatworker.http.HttpSettings;
import chatworker.redis.RedisHealth;
import chatworker.redis.ResilientRedis;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.net.BindException;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * The node's HTTP port: the API under {@code /v1} ({@link HttpApi}, with its keys rule and access log
 * for every path) and {@code GET /health/live}, {@code /health/ready}, {@code /status} and
 * {@code /metrics} (Prometheus text, see {@link Metrics}); other paths 404, other methods 405, each
 * with the contract's error body. Holds nothing secret: the Redis URL never appears, only the layer's
 * state.
 */
public final class StatusVerticle extends VerticleBase {

  private final HttpSettings http;
  private final long defaultJobTimeoutMs;
  private final String nodeId;
  private final ResilientRedis redis;
  private final Supplier<List<String>> clusterMembers;
  private final Supplier<JsonObject> jobs;
  private final PrometheusMeterRegistry registry;
  private HttpServer server;
  private HttpApi api;
  private volatile boolean stopping;
  private volatile Instant eventBusCertificateValidUntil;

  /**
   * @param http                where to listen, and the API's settings
   * @param defaultJobTimeoutMs the node's deadline for a generate that names none
   * @param jobs                the node's job counters as {@code {inFlight, succeeded, failed, cancelled, …}}
   * @param registry            what {@code /metrics} serves ({@link Metrics#registry()})
   */
  public StatusVerticle(HttpSettings http, long defaultJobTimeoutMs, String nodeId, ResilientRedis redis,
      Supplier<List<String>> clusterMembers, Supplier<JsonObject> jobs, PrometheusMeterRegistry registry) {
    this.http = http;
    this.defaultJobTimeoutMs = defaultJobTimeoutMs;
    this.nodeId = nodeId;
    this.redis = redis;
    this.clusterMembers = clusterMembers;
    this.jobs = jobs;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    return HttpApi.create(vertx, http, defaultJobTimeoutMs, registry)
        .recover(failure -> Future.failedFuture(new IllegalStateException("the HTTP API did not load: "
            + failure.getMessage(), failure)))
        .compose(this::listen);
  }

  private Future<HttpServer> listen(HttpApi api) {
    this.api = api;
    Router router = api.router();
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    api.finish(router);
    // HTTP/1.1 only: Vert.x 5.0.7's cleartext upgrade to HTTP/2 (h2c) garbles or stalls about one
    // response in ten above ~16 KB (seen with the JDK HttpClient, which asks for it by default), and
    // a scrape is ~40 KB. Scrapers and curl speak HTTP/1.1 anyway.
    HttpServerOptions options = http.applyTls(new HttpServerOptions().setHttp2ClearTextEnabled(false));
    return vertx.createHttpServer(options).requestHandler(router).listen(http.port(), http.host())
        .onSuccess(s -> server = s)
        .recover(failure -> Future.failedFuture(isAddressInUse(failure)
            ? new IllegalStateException(http.describe() + " is taken", failure)
            : new IllegalStateException("cannot listen on " + http.describe() + ": " + failure.getMessage(), failure)));
  }

  /** A bind refused because something listens there already: java.net's or Netty's native transport's. */
  static boolean isAddressInUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
    }
    return false;
  }

  /** A member left the cluster: the API resends the generates it carried that may have run there. */
  public void memberLeft(String nodeId) {
    // On this verticle's own event loop, where the API keeps its unanswered generates.
    if (context == null) {
      return; // not deployed: nothing was carried
    }
    context.runOnContext(v -> {
      if (api != null) {
        api.memberLeft(nodeId);
      }
    });
  }

  /**
   * The event bus is mutual TLS with a certificate valid until then: {@code /status} says so under
   * {@code tls} (by default it says clear text). Returns this verticle.
   */
  public StatusVerticle eventBusTls(Instant certificateValidUntil) {
    this.eventBusCertificateValidUntil = certificateValidUntil;
    return this;
  }

  /** The port actually bound (differs from the configured one when that was 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /**
   * The node is stopping: {@code /health/ready} answers 503 from now on, so that a load balancer
   * stops sending before the node stops serving (liveness stays UP until the process ends).
   */
  public void stopping() {
    stopping = true;
  }

  private void ready(RoutingContext ctx) {
    RedisHealth health = redis.health();
    if (health.ready() && !stopping) {
      json(ctx, 200, new JsonObject().put("status", "UP"));
      return;
    }
    JsonArray reasons = new JsonArray();
    if (stopping) {
      reasons.add("the node is stopping");
    }
    if (health.connectionsUp() == 0) {
      reasons.add(health.authRejected() ? "Redis refused the configured credentials" : "no connection to Redis");
    }
    if (!"CLOSED".equals(health.breaker())) {
      reasons.add("Redis circuit breaker is " + health.breaker());
    }
    json(ctx, 503, new JsonObject().put("status", "DOWN").put("reasons", reasons));
  }

  private void status(RoutingContext ctx) {
    json(ctx, 200, new JsonObject()
        .put("nodeId", nodeId)
        .put("clusterMembers", new JsonArray(clusterMembers.get()))
        .put("redis", redis.health().toJson().put("topology", redis.topology().toJson()))
        .put("jobs", jobs.get())
        .put("tls", new JsonObject().put("eventBus", eventBusCertificateValidUntil != null)
            .put("certificateValidUntil", eventBusCertificateValidUntil == null ? null
                : eventBusCertificateValidUntil.toString())
            .put("https", http.https())));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.andThen(done -> {
      if (api != null) {
        api.close();
      }
    });
  }
}
