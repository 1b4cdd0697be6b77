package chatworker.cli;

import chatworker.cluster.ClusterSettings;
import chatworker.cluster.HazelcastSetup;
import chatworker.config.ConfigLoader;
import chatworker.status.Metrics;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar chat-worker.jar [--conf FILE]}: one clustered node. The configuration is read first
 * (vertx-config: the file, then the environment on top), because the cluster manager is built from it;
 * then Vert.x's application launcher starts the clustered Vert.x, deploys the node and stops it
 * gracefully on SIGTERM.
 */
@Command(name = "chat-worker", mixinStandardHelpOptions = true, subcommands = SubmitCommand.class,
    description = "Runs one clustered chat-worker node; `submit` sends jobs to the cluster.")
public final class Main implements java.util.concurrent.Callable<Integer> {

  @Option(names = "--conf", paramLabel = "FILE",
      description = "configuration file (default: $CHATWORKER_CONF, else conf/chat-worker.json)")
  String confFile;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Main());
    int exit = commandLine.execute(args);
    boolean submit = commandLine.getParseResult() != null && commandLine.getParseResult().subcommand() != null;
    // A node keeps running after the launcher returns; submit is done, whatever threads linger.
    if (exit != 0 || submit) {
      System.exit(exit);
    }
  }

  @Override
  public Integer call() {
    String file = ConfigLoader.chooseFile(confFile);
    JsonObject config;
    Vertx bootstrap = Vertx.vertx();
    try {
      // The main thread, not an event loop: waiting here blocks no one.
      config = ConfigLoader.load(bootstrap, file).await();
    } catch (Exception e) {
      System.err.println("chat-worker: cannot read configuration " + file + ": " + e.getMessage());
      return 2;
    } finally {
      bootstrap.close();
    }
    return new VertxApplication(new String[] {"-cluster"}, new NodeHooks(config)).launch();
  }

  /** Plugs our cluster manager and node verticle into the launcher. */
  private static final class NodeHooks implements VertxApplicationHooks {
    private final JsonObject config;
    private final HazelcastClusterManager clusterManager;

    NodeHooks(JsonObject config) {
      this.config = config;
      this.clusterManager = HazelcastSetup.clusterManager(
          ClusterSettings.fromJson(config.getJsonObject("cluster", new JsonObject())), false);
    }

    @Override
    public VertxBuilder createVertxBuilder(VertxOptions options) {
      String host = config.getJsonObject("cluster", new JsonObject()).getString("host", "127.0.0.1");
      NodeSettings.fromJson(config.getJsonObject("node", new JsonObject())).applyTo(options);
      options.getEventBusOptions().setHost(host).setClusterPublicHost(host).setPort(0);
      // Micrometer metrics (Vert.x's, the JVM's, ours) into the Prometheus registry /metrics serves.
      return Metrics.vertxBuilder(options).withClusterManager(clusterManager);
    }

    /**
     * SIGTERM reaches here through the launcher's shutdown hook once Vert.x closed gracefully (jobs
     * drained, locks released, cluster left). The JVM would exit 143; a graceful stop is a success.
     */
    @Override
    public void afterVertxStopped(HookContext context) {
      System.out.flush();
      Runtime.getRuntime().halt(0);
    }

    @Override
    public Supplier<? extends Deployable> verticleSupplier() {
      return () -> new NodeVerticle(config, clusterManager.getNodeId(), clusterManager::getNodes);
    }
  }
}
