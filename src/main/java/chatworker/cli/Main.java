package chatworker.cli;

import chatworker.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar chat-worker.jar [--conf FILE]}: one clustered node. The configuration is read first
 * (vertx-config: the file, then the environment on top), because the cluster manager is built from it;
 * then Vert.x's application launcher, with {@link NodeHooks}, starts the clustered Vert.x, deploys the node
 * and stops it gracefully on SIGTERM, or says in one line why it could not start and exits non-zero.
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
    return NodeHooks.launch(config);
  }
}
