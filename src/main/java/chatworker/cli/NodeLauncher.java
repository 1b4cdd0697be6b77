package chatworker.cli;

import chatworker.api.Addresses;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.HazelcastSetup;
import chatworker.cluster.RouteWithdrawal;
import chatworker.status.Metrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one node on the main thread — clustered Vert.x (Hazelcast, Micrometer), then
 * {@link NodeVerticle} — and stops it gracefully on SIGTERM. A start that fails closes what it had
 * started (the node undoes its own steps, then Vert.x leaves the cluster) and ends with one line on
 * stderr, {@code chat-worker: cannot start: <what failed>}, and a non-zero exit; no stack trace for
 * such an expected fault.
 */
final class NodeLauncher {

  /** The process could not start a node (the line on stderr says why). */
  static final int CANNOT_START = 1;

  private static final Logger log = LoggerFactory.getLogger(NodeLauncher.class);
  /** Joining the cluster or deploying longer than this is a failed start, not a slow one. */
  private static final long START_TIMEOUT_MS = 120_000;
  /** Closing on a failed start: nothing is running, so this only bounds leaving the cluster. */
  private static final long CLOSE_AFTER_FAILURE_MS = 30_000;

  private final JsonObject config;

  NodeLauncher(JsonObject config) {
    this.config = config;
  }

  /** Starts the node; returns 0 once it runs (SIGTERM ends the process), else {@link #CANNOT_START}. */
  int launch() {
    ClusterSettings cluster;
    NodeSettings node;
    try {
      cluster = ClusterSettings.fromJson(section("cluster"));
      node = NodeSettings.fromJson(section("node"));
    } catch (RuntimeException invalid) {
      return cannotStart("invalid configuration: " + invalid.getMessage());
    }
    if (!canBind(cluster.host(), cluster.port())) {
      // Asked first, because Hazelcast and Vert.x would log three stack traces before saying so.
      return cannotStart("cluster port " + cluster.port() + " on " + cluster.host() + " is taken");
    }
    HazelcastClusterManager clusterManager = HazelcastSetup.clusterManager(cluster, false);
    VertxOptions options = node.applyTo(new VertxOptions());
    options.getEventBusOptions().setHost(cluster.host()).setClusterPublicHost(cluster.host()).setPort(0);
    Vertx vertx;
    try {
      // The main thread, not an event loop: waiting here blocks no one.
      vertx = Metrics.vertxBuilder(options).withClusterManager(clusterManager).buildClustered()
          .await(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return cannotStart(clusterFailure(cluster, e));
    }
    NodeVerticle nodeVerticle = new NodeVerticle(config, clusterManager.getNodeId(), clusterManager::getNodes);
    ShutdownOnSigterm shutdown = new ShutdownOnSigterm(vertx, nodeVerticle, clusterManager,
        cluster.withdrawGraceMs());
    Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "chat-worker-shutdown"));
    try {
      vertx.deployVerticle(nodeVerticle).await(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return 0;
    } catch (Exception e) {
      shutdown.disarm();
      closeQuietly(vertx);
      return cannotStart(e instanceof NodeStartException ? e.getMessage()
          : e instanceof TimeoutException ? "the node did not start within " + START_TIMEOUT_MS + " ms"
          : unexpected(e));
    }
  }

  private JsonObject section(String name) {
    return config.getJsonObject(name, new JsonObject());
  }

  /** Whether a listener could bind there now (SO_REUSEADDR, as Hazelcast binds: a port in TIME_WAIT is free). */
  private static boolean canBind(String host, int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return !(e instanceof BindException);
    }
  }

  private static String clusterFailure(ClusterSettings cluster, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cluster port " + cluster.port() + " on " + cluster.host() + " is taken";
      }
    }
    if (e instanceof TimeoutException) {
      return "could not join the cluster within " + START_TIMEOUT_MS + " ms";
    }
    return "could not join the cluster: " + unexpected(e);
  }

  /** A cause we did not foresee: its message on the line, its stack trace in the log for a developer. */
  private static String unexpected(Throwable e) {
    log.debug("start failed", e);
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }

  private static void closeQuietly(Vertx vertx) {
    try {
      vertx.close().await(CLOSE_AFTER_FAILURE_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("closing after the failed start: {}", e.toString());
    }
  }

  private static int cannotStart(String what) {
    System.err.println("chat-worker: cannot start: " + what);
    System.err.flush();
    return CANNOT_START;
  }

  /**
   * SIGTERM: first reports not ready and takes the node out of the event bus's routing while it still serves
   * ({@link RouteWithdrawal}) and waits {@code cluster.withdrawGraceMs} for every member to hear of
   * it; then closes Vert.x gracefully (the node drains its jobs, closes Redis, leaves the cluster)
   * and halts with 0, since a graceful stop is a success (the JVM would otherwise exit 143).
   */
  private static final class ShutdownOnSigterm implements Runnable {
    /** Longest a graceful stop may take; the drain itself is bounded by shutdown.drainTimeoutMs. */
    private static final long STOP_TIMEOUT_MS = 120_000;
    /**
     * The request–reply addresses. Not {@code chat.generate.cancel}: it is published, and a job that
     * runs here until the drain ends must still hear its cancel.
     */
    private static final List<String> ROUTED = List.of(Addresses.ASSISTANTS_CREATE, Addresses.ASSISTANTS_GET,
        Addresses.ASSISTANTS_DELETE, Addresses.CHATS_CREATE, Addresses.CHATS_GET, Addresses.MESSAGES_CREATE,
        Addresses.MESSAGES_LIST, Addresses.GENERATE, Addresses.JOBS_GET);

    private final Vertx vertx;
    private final NodeVerticle node;
    private final ClusterManager clusterManager;
    private final long withdrawGraceMs;
    private volatile boolean armed = true;

    ShutdownOnSigterm(Vertx vertx, NodeVerticle node, ClusterManager clusterManager, long withdrawGraceMs) {
      this.vertx = vertx;
      this.node = node;
      this.clusterManager = clusterManager;
      this.withdrawGraceMs = withdrawGraceMs;
    }

    /** Best effort: a node that cannot withdraw still stops, as it did before there was a withdrawal. */
    private void withdraw() {
      node.stopping(); // /health/ready: 503 from here on
      try {
        int withdrawn = RouteWithdrawal.withdraw(clusterManager, ROUTED).await(10, TimeUnit.SECONDS);
        log.info("stopping: {} consumers out of the cluster's routing, serving {} ms more before draining",
            withdrawn, withdrawGraceMs);
        Thread.sleep(withdrawGraceMs); // the shutdown hook's own thread: nothing else waits on it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("stopping: could not withdraw from the cluster's routing first: {}", e.toString());
      }
    }

    /** After a failed start the process exits with its own code: nothing left to stop here. */
    void disarm() {
      armed = false;
    }

    @Override
    public void run() {
      if (!armed) {
        return;
      }
      withdraw();
      int exit = 0;
      try {
        vertx.close().await(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        System.err.println("chat-worker: graceful stop failed: " + e);
        exit = 1;
      }
      System.out.flush();
      System.err.flush();
      Runtime.getRuntime().halt(exit);
    }
  }
}
