package chatworker.chaos;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The nodes' HTTP ports as a load balancer in front of them sees them: one HTTP client for every
 * user (keep-alive HTTP/1.1, a pool per node), and which nodes are up. A node is up while its
 * {@code GET /health/ready} answers 200 (asked every {@value #CHECK_INTERVAL_MS} ms, as a load
 * balancer's health check does; a stopping node says 503 before it stops serving), and down from a
 * request that could not connect to it until its next good answer. Thread-safe.
 */
final class HttpNodes implements AutoCloseable {

  static final long CHECK_INTERVAL_MS = 500;

  private final Vertx vertx;
  private final List<Integer> ports;
  private final HttpClientAgent client;
  private final HttpClientAgent checks;
  private final AtomicIntegerArray up;
  private final long timer;

  /** {@code connectionsPerNode}: at most that many requests in flight to one node at a time. */
  HttpNodes(Vertx vertx, List<Integer> ports, int connectionsPerNode) {
    this.vertx = vertx;
    this.ports = List.copyOf(ports);
    this.up = new AtomicIntegerArray(ports.size());
    for (int i = 0; i < ports.size(); i++) {
      up.set(i, 1);
    }
    HttpClientOptions options = new HttpClientOptions().setDefaultHost("127.0.0.1").setKeepAlive(true)
        .setConnectTimeout(2_000);
    this.client = vertx.httpClientBuilder().with(options)
        .with(new PoolOptions().setHttp1MaxSize(connectionsPerNode)).build();
    this.checks = vertx.httpClientBuilder().with(new HttpClientOptions(options).setKeepAlive(false))
        .with(new PoolOptions().setHttp1MaxSize(2)).build();
    this.timer = vertx.setPeriodic(CHECK_INTERVAL_MS, t -> checkAll());
  }

  /** The client every request goes through. */
  HttpClientAgent client() {
    return client;
  }

  int size() {
    return ports.size();
  }

  int port(int node) {
    return ports.get(node);
  }

  /** {@code preferred} when it is up, else the next node after it that is; {@code preferred} when none is. */
  int pick(int preferred) {
    for (int i = 0; i < ports.size(); i++) {
      int node = (preferred + i) % ports.size();
      if (up.get(node) == 1) {
        return node;
      }
    }
    return preferred;
  }

  /** A request could not connect to {@code node}: it is down until its health check answers 200 again. */
  void markDown(int node) {
    up.set(node, 0);
  }

  private void checkAll() {
    for (int node = 0; node < ports.size(); node++) {
      int n = node;
      checks.request(new RequestOptions().setMethod(HttpMethod.GET).setPort(ports.get(node)).setURI("/health/ready")
              .setIdleTimeout(CHECK_INTERVAL_MS * 2))
          .compose(request -> request.send())
          .compose(response -> response.body().map(body -> response.statusCode()))
          .onComplete(status -> up.set(n, status.succeeded() && status.result() == 200 ? 1 : 0));
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
    Future.join(client.close(), checks.close()).toCompletionStage().toCompletableFuture().join();
  }
}
