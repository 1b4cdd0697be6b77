package chatworker.http;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line per request on the logger {@code chatworker.http.access} (method, path template,
 * status, duration, the node that ran it when the answer says), and the timer
 * {@code chatworker.http.requests} by route, method and status. No body, query or header is logged:
 * they may hold chat texts or keys; the route is the template ({@code /v1/chats/{id}}), never the path.
 */
final class AccessLog implements PlatformHandler {

  /** Where a handler leaves the route's template for this line. */
  static final String ROUTE = "chatworker.route";
  /** Where a handler leaves the id of the node that ran the request, when the answer names it. */
  static final String NODE = "chatworker.node";

  private static final Logger log = LoggerFactory.getLogger("chatworker.http.access");

  private final MeterRegistry registry;
  private final Set<Meter.Id> timers = ConcurrentHashMap.newKeySet();

  AccessLog(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A root handler, first of all: times the request and reports it once the response is written. */
  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(ended -> report(ctx, System.nanoTime() - start));
    ctx.next();
  }

  private void report(RoutingContext ctx, long nanos) {
    String route = route(ctx);
    String method = ctx.request().method().name();
    String status = Integer.toString(ctx.response().getStatusCode());
    Timer timer = Timer.builder("chatworker.http.requests").description("HTTP requests by route template, method and status")
        .tags("route", route, "method", method, "status", status)
        .register(registry);
    timers.add(timer.getId());
    timer.record(nanos, TimeUnit.NANOSECONDS);
    if (log.isInfoEnabled()) {
      JsonObject line = new JsonObject().put("method", method).put("route", route).put("status", ctx.response().getStatusCode())
          .put("durationMs", Math.round(nanos / 1e5) / 10.0);
      String node = ctx.get(NODE);
      if (node != null) {
        line.put("node", node);
      }
      log.info(line.encode());
    }
  }

  /** Removes the timers from the registry, which may outlive this node (Vert.x's own). */
  void close() {
    timers.forEach(registry::remove);
    timers.clear();
  }

  private static String route(RoutingContext ctx) {
    String route = ctx.get(ROUTE);
    if (route != null) {
      return route;
    }
    return ctx.currentRoute() != null && ctx.currentRoute().getPath() != null && ctx.response().getStatusCode() != 404
        ? ctx.currentRoute().getPath() : "unmatched";
  }
}
