package chatworker.status;

import chatworker.console.ConsoleAddresses;
import chatworker.console.ConsoleRoutes;
import chatworker.http.HttpApi;
import chatworker.http.HttpSettings;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.net.BindException;

/**
 * The node's HTTP port: the API under {@code /v1} ({@link HttpApi}, with its keys rule and access log
 * for every path), {@code GET /health/live}, {@code /health/ready}, {@code /status} and
 * {@code /metrics} (Prometheus text, see {@link Metrics}), and the console ({@link ConsoleRoutes});
 * other paths 404, other methods 405, each with the contract's error body. It also answers the
 * console's status request on the event bus ({@link ConsoleAddresses#nodeStatus}) with the node's
 * {@link NodeSnapshot} and {@link StatusHistory}, which it samples every
 * {@link StatusHistory#periodMs()}. Holds nothing secret: the Redis URL never appears, only the
 * layer's state.
 */
public final class StatusVerticle extends VerticleBase {

  private final HttpSettings http;
  private final long defaultJobTimeoutMs;
  private final NodeSnapshot node;
  private final StatusHistory history = new StatusHistory();
  private final PrometheusMeterRegistry registry;
  private HttpServer server;
  private HttpApi api;
  private MessageConsumer<JsonObject> statusRequests;
  private long sampling = -1;

  /**
   * @param http                where to listen, and the API's settings
   * @param defaultJobTimeoutMs the node's deadline for a generate that names none
   * @param node                what the node says of itself on /status, /health/ready and to the console
   * @param registry            what {@code /metrics} serves ({@link Metrics#registry()})
   */
  public StatusVerticle(HttpSettings http, long defaultJobTimeoutMs, NodeSnapshot node,
      PrometheusMeterRegistry registry) {
    this.http = http;
    this.defaultJobTimeoutMs = defaultJobTimeoutMs;
    this.node = node;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    sample();
    sampling = vertx.setPeriodic(history.periodMs(), id -> sample());
    // Clustered: the console of any node asks this one. Registered before the port opens, so that a
    // node that serves HTTP also answers the console.
    statusRequests = vertx.eventBus().consumer(ConsoleAddresses.nodeStatus(node.nodeId()),
        request -> request.reply(new JsonObject().put("status", node.status()).put("history", history.toJson())));
    return statusRequests.completion()
        .compose(v -> HttpApi.create(vertx, http, defaultJobTimeoutMs, registry)
            .recover(failure -> Future.failedFuture(new IllegalStateException("the HTTP API did not load: "
                + failure.getMessage(), failure))))
        .compose(this::listen)
        .onFailure(failed -> {
          // stop() is not called after a failed start
          vertx.cancelTimer(sampling);
          statusRequests.unregister();
        });
  }

  private void sample() {
    history.add(node.sample(System.currentTimeMillis()));
  }

  private Future<HttpServer> listen(HttpApi api) {
    this.api = api;
    Router router = api.router();
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
    router.get("/status").handler(this::status);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    ConsoleRoutes.mount(router, vertx, node.nodeId(), node::clusterMembers);
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

  /** The port actually bound (differs from the configured one when that was 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /**
   * The node is stopping: {@code /health/ready} answers 503 from now on, so that a load balancer
   * stops sending before the node stops serving (liveness stays UP until the process ends).
   */
  public void stopping() {
    node.stopping();
  }

  private void ready(RoutingContext ctx) {
    Readiness readiness = node.readiness();
    json(ctx, readiness.up() ? 200 : 503, readiness.toJson());
  }

  private void status(RoutingContext ctx) {
    json(ctx, 200, node.status());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sampling);
    Future<Void> unregistered = statusRequests == null ? Future.succeededFuture() : statusRequests.unregister();
    Future<Void> closed = unregistered.transform(v -> server == null ? Future.succeededFuture() : server.close());
    return closed.andThen(done -> {
      if (api != null) {
        api.close();
      }
    });
  }
}
