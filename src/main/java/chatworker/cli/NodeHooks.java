package chatworker.cli;

import chatworker.api.Addresses;
import chatworker.cluster.ClusterSettings;
import chatworker.cluster.EventBusSetup;
import chatworker.cluster.HazelcastSetup;
import chatworker.cluster.RouteWithdrawal;
import chatworker.http.HttpSettings;
import chatworker.status.Metrics;
import chatworker.tls.TlsCheck;
import chatworker.tls.TlsFileException;
import io.vertx.core.Deployable;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node under Vert.x's application launcher: our cluster manager, Micrometer and the
 * {@link NodeVerticle} plugged into its hooks. A start that fails says so in one line on stderr,
 * {@code chat-worker: cannot start: <what failed>}, with no stack trace for such an expected fault, and
 * the process exits {@link #CANNOT_START} (the node has undone its own steps; closing Vert.x leaves the
 * cluster). SIGTERM (the launcher's shutdown hook) first takes the node out of the event bus's routing,
 * then closes Vert.x gracefully, and the process exits 0.
 */
final class NodeHooks implements VertxApplicationHooks {

  /** The process could not start a node (the line on stderr says why). */
  static final int CANNOT_START = 1;

  private static final Logger log = LoggerFactory.getLogger(NodeHooks.class);
  /**
   * The request–reply addresses, withdrawn from routing at SIGTERM. Not {@code chat.generate.cancel}:
   * it is published, and a job that runs here until the drain ends must still hear its cancel.
   */
  private static final List<String> ROUTED = List.of(Addresses.ASSISTANTS_CREATE, Addresses.ASSISTANTS_GET,
      Addresses.ASSISTANTS_DELETE, Addresses.CHATS_CREATE, Addresses.CHATS_GET, Addresses.MESSAGES_CREATE,
      Addresses.MESSAGES_LIST, Addresses.GENERATE, Addresses.JOBS_GET);

  private final JsonObject config;
  private final ClusterSettings cluster;
  private final NodeSettings node;
  private final HazelcastClusterManager clusterManager;
  private volatile NodeVerticle nodeVerticle;
  private volatile boolean deployed;
  private volatile boolean failed;

  private NodeHooks(JsonObject config, ClusterSettings cluster, NodeSettings node) {
    this.config = config;
    this.cluster = cluster;
    this.node = node;
    this.clusterManager = HazelcastSetup.clusterManager(cluster, false);
  }

  /** Starts the node; 0 once it runs (SIGTERM ends the process), else {@link #CANNOT_START}. */
  static int launch(JsonObject config) {
    ClusterSettings cluster;
    NodeSettings node;
    HttpSettings http;
    try {
      cluster = ClusterSettings.fromJson(config.getJsonObject("cluster", new JsonObject()));
      node = NodeSettings.fromJson(config.getJsonObject("node", new JsonObject()));
      http = HttpSettings.fromJson(config.getJsonObject("http", new JsonObject()));
    } catch (RuntimeException invalid) {
      return cannotStart("invalid configuration: " + invalid.getMessage());
    }
    // Before Vert.x: a wrong file would otherwise surface as a peer's silent refusal, or not at all.
    try {
      if (cluster.tls() != null) {
        TlsCheck.check(cluster.tls());
      }
    } catch (TlsFileException wrong) {
      return cannotStart("cluster.tls: " + wrong.getMessage());
    }
    try {
      if (http.tls() != null) {
        TlsCheck.check(http.tls());
      }
    } catch (TlsFileException wrong) {
      return cannotStart("http.tls: " + wrong.getMessage());
    }
    if (!canBind(cluster.host(), cluster.port())) {
      // Asked first, because Hazelcast and Vert.x would log three stack traces before saying so.
      return cannotStart("cluster port " + cluster.port() + " on " + cluster.host() + " is taken");
    }
    // Not exiting by itself on a failure: the exit code is ours, and so is the one line that says why.
    int exit = new VertxApplication(new String[] {"-cluster"}, new NodeHooks(config, cluster, node), false, false) {
    }.launch();
    return exit == 0 ? 0 : CANNOT_START;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    node.applyTo(options);
    EventBusSetup.configure(options, cluster);
    // Micrometer metrics (Vert.x's, the JVM's, ours) into the Prometheus registry /metrics serves.
    return Metrics.vertxBuilder(options).withClusterManager(clusterManager);
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable failure) {
    failed = true;
    cannotStart(clusterFailure(failure));
  }

  @Override
  public Supplier<? extends Deployable> verticleSupplier() {
    return () -> nodeVerticle = new NodeVerticle(config, clusterManager.getNodeId(), clusterManager::getNodes);
  }

  @Override
  public void afterVerticleDeployed(HookContext context) {
    deployed = true;
    NodeVerticle node = nodeVerticle;
    HazelcastSetup.onMemberLeft(clusterManager, node::memberLeft);
  }

  @Override
  public void afterFailureToDeployVerticle(HookContext context, Throwable failure) {
    failed = true;
    cannotStart(failure instanceof NodeStartException ? failure.getMessage()
        : failure == null ? "the node did not start in time" : unexpected(failure));
  }

  /**
   * SIGTERM, on the launcher's shutdown thread, before Vert.x undeploys anything: reports not ready
   * and takes the node out of the event bus's routing while it still serves ({@link RouteWithdrawal}),
   * then waits {@code cluster.withdrawGraceMs} for every member to hear of it. Best effort: a node
   * that cannot withdraw still stops, draining as before.
   */
  @Override
  public void beforeStoppingVertx(HookContext context) {
    if (!deployed) {
      return;
    }
    nodeVerticle.stopping(); // /health/ready: 503 from here on
    try {
      int withdrawn = RouteWithdrawal.withdraw(clusterManager, ROUTED).await(10, TimeUnit.SECONDS);
      log.info("stopping: {} consumers out of the cluster's routing, serving {} ms more before draining",
          withdrawn, cluster.withdrawGraceMs());
      Thread.sleep(cluster.withdrawGraceMs()); // the shutdown thread, not an event loop
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("stopping: could not withdraw from the cluster's routing first: {}", e.toString());
    }
  }

  /**
   * Vert.x closed (jobs drained, locks released, cluster left). The JVM would exit 143 after SIGTERM;
   * a graceful stop is a success, and a failed start keeps its own code.
   */
  @Override
  public void afterVertxStopped(HookContext context) {
    halt(failed ? CANNOT_START : 0);
  }

  @Override
  public void afterFailureToStopVertx(HookContext context, Throwable failure) {
    System.err.println("chat-worker: graceful stop failed: " + (failure == null ? "timed out" : failure));
    halt(1);
  }

  private static void halt(int exit) {
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(exit);
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

  private String clusterFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cluster port " + cluster.port() + " on " + cluster.host() + " is taken";
      }
    }
    return failure == null ? "could not join the cluster in time" : "could not join the cluster: " + unexpected(failure);
  }

  /** A cause we did not foresee: its message on the line, its stack trace in the debug log for a developer. */
  private static String unexpected(Throwable e) {
    log.debug("start failed", e);
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }

  private static int cannotStart(String what) {
    System.err.println("chat-worker: cannot start: " + what);
    System.err.flush();
    return CANNOT_START;
  }
}
