package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a local Redis Sentinel or Redis Cluster ({@link LocalTopology}) until it is stopped, so that
 * people can try chat-worker's replicated modes on one machine; {@code scripts/cluster.sh --redis
 * sentinel|cluster} starts it. Not a test.
 *
 * <p>{@code TopologyMain sentinel|cluster ENV_FILE} starts the topology on free loopback ports
 * (20000-32767), prints on stderr what runs where and how to fail over by hand, then writes ENV_FILE,
 * whose appearance means ready: {@code NAME=value} lines with the nodes' {@code CHATWORKER_REDIS_*}
 * settings and {@code REPLICAS}, the replicas of each master. While it runs, a data node that dies
 * (killed by hand) is started again as a replica {@value #RESTART_AFTER_SECONDS} s later, once another
 * node has taken over from it, as a service manager would. SIGTERM, SIGINT or the exit of the process
 * that started this one closes the topology: its processes are killed, their temp dirs (data and logs)
 * deleted.
 */
public final class TopologyMain {

  private static final long RESTART_AFTER_SECONDS = 5;
  private static final Duration POLL = Duration.ofMillis(200);

  private final LocalTopology topology;
  private final Thread supervisor;
  private final Object restarting = new Object();
  private volatile boolean stopping;

  private TopologyMain(LocalTopology topology, Thread supervisor) {
    this.topology = topology;
    this.supervisor = supervisor;
  }

  public static void main(String[] args) {
    if (args.length != 2 || !List.of("sentinel", "cluster").contains(args[0])) {
      log("usage: TopologyMain sentinel|cluster ENV_FILE");
      System.exit(2);
    }
    exitWithParent();
    log("starting a local Redis " + args[0] + " with " + RedisServer.binaryDescription() + " ...");
    LocalTopology topology;
    try {
      topology = LocalTopology.start(args[0]);
    } catch (RuntimeException | AssertionError e) {
      log("could not start the topology: " + e.getMessage());
      System.exit(1); // the fixtures' shutdown hooks kill whatever did start
      return;
    }
    TopologyMain main = new TopologyMain(topology, Thread.currentThread());
    Runtime.getRuntime().addShutdownHook(new Thread(main::close, "topology-close"));
    main.announce(Path.of(args[1]));
    main.superviseUntilStopped();
  }

  /** Prints the processes and what to try, then writes the env file (atomically: it means ready). */
  private void announce(Path envFile) {
    boolean redisCli = RedisBinary.onPath("redis-cli").isPresent();
    topology.describe(redisCli).forEach(TopologyMain::log);
    if (!redisCli) {
      log("fail over on command: with redis-cli, which is not on the PATH here");
    }
    log("kill a master:        kill -9 <its pid>   (a data node that dies starts again as a replica "
        + RESTART_AFTER_SECONDS + " s later, once another node took over)");
    log("data nodes are append-only with appendfsync always: each write waits for the disk (slower than"
        + " Redis's default, everysec); their dirs, data and logs, are deleted when the topology stops");
    StringBuilder env = new StringBuilder();
    topology.settings().forEach((name, value) -> env.append(name).append('=').append(value).append('\n'));
    try {
      Path partial = envFile.resolveSibling(envFile.getFileName() + ".partial");
      Files.writeString(partial, env);
      Files.move(partial, envFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + envFile, e);
    }
  }

  /** Starts a dead data node again, {@value #RESTART_AFTER_SECONDS} s after it died and once it is replaced. */
  private void superviseUntilStopped() {
    Map<RedisServer, Long> downSince = new HashMap<>();
    String lastProblem = null;
    while (!stopping) {
      try {
        for (RedisServer node : topology.dataNodes()) {
          if (node.isRunning()) {
            downSince.remove(node);
            continue;
          }
          long since = downSince.computeIfAbsent(node, n -> {
            log("port " + n.port() + " is down");
            return System.nanoTime();
          });
          if (System.nanoTime() - since >= Duration.ofSeconds(RESTART_AFTER_SECONDS).toNanos()
              && topology.replaced(node)) {
            restart(node);
          }
        }
        lastProblem = null;
      } catch (RuntimeException | AssertionError e) {
        if (!stopping && !String.valueOf(e.getMessage()).equals(lastProblem)) {
          lastProblem = String.valueOf(e.getMessage());
          log("supervisor: " + lastProblem + " (trying again)");
        }
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  private void restart(RedisServer node) {
    synchronized (restarting) {
      if (stopping) {
        return;
      }
      log("starting port " + node.port() + " again as a replica ...");
      topology.restart(node);
      log("port " + node.port() + " is back as a replica, pid " + node.pid());
    }
  }

  /** The shutdown hook: stops supervising (a restart under way is interrupted), then closes the topology. */
  private void close() {
    stopping = true;
    supervisor.interrupt();
    synchronized (restarting) {
      topology.close();
    }
    log("stopped; every process of the topology is gone");
  }

  /** A process started by a script must not outlive it, even when the script is killed with SIGKILL. */
  private static void exitWithParent() {
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
      log("the process that started this one (pid " + parent.pid() + ") is gone: stopping");
      System.exit(0);
    }));
  }

  private static void log(String line) {
    System.err.println("redis: " + line);
  }
}
