package chatworker.console;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import java.util.function.Supplier;

/**
 * The console's routes on the node's router: {@code GET /} (the page), {@code GET /console/cluster}
 * (every member's status, gathered over the event bus by {@link ClusterGather}) and
 * {@code GET /console/<file>} (the page's files, from the class path folder {@value #WEBROOT}).
 * Files are revalidated on every use ({@code Cache-Control: no-cache} with {@code Last-Modified}), so
 * a new jar's page is seen at once; directories are never listed. A missing file falls through to
 * the router's 404, the contract's error body.
 */
public final class ConsoleRoutes {

  static final String WEBROOT = "webroot/console";

  private ConsoleRoutes() {}

  /**
   * Adds the routes to {@code router} (before its 404 and failure handlers).
   *
   * @param nodeId  this node, as {@code servedBy}
   * @param members the cluster's node ids right now (the cluster manager's {@code getNodes()})
   */
  public static void mount(Router router, Vertx vertx, String nodeId, Supplier<List<String>> members) {
    ClusterGather gather = new ClusterGather(member -> vertx.eventBus()
        .<JsonObject>request(ConsoleAddresses.nodeStatus(member), new JsonObject(),
            new DeliveryOptions().setSendTimeout(ClusterGather.TIMEOUT_MS))
        .map(Message::body), ClusterGather.TIMEOUT_MS, System::currentTimeMillis);
    router.get("/console/cluster").handler(ctx -> gather.gather(nodeId, members.get())
        .onSuccess(body -> ctx.response().putHeader("content-type", "application/json")
            .putHeader("cache-control", "no-store").end(body.encode())));
    StaticHandler files = StaticHandler.create(WEBROOT)
        .setCachingEnabled(true) // what makes it answer If-Modified-Since with 304
        .setDirectoryListing(false)
        .setIncludeHidden(false)
        .setAlwaysAsyncFS(true) // file lookups on a worker, never on the event loop
        .setDefaultContentEncoding("UTF-8");
    router.get("/").handler(ConsoleRoutes::revalidate).handler(files);
    router.get("/console/*").handler(ConsoleRoutes::revalidate).handler(files);
  }

  /** Set before the static handler, which then leaves it: it would say {@code immutable, max-age=86400}. */
  private static void revalidate(RoutingContext ctx) {
    ctx.response().putHeader("cache-control", "no-cache");
    ctx.next();
  }
}
