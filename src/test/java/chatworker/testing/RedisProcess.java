package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One run of {@code redis-server} in a data dir: start, SIGTERM, SIGKILL, SIGSTOP/SIGCONT, and its log
 * for diagnostics.
 */
final class RedisProcess {

  static final String STDOUT_FILE = "stdout.log";

  private final Process process;
  private final Path dataDir;
  private volatile boolean paused;

  private RedisProcess(Process process, Path dataDir) {
    this.process = process;
    this.dataDir = dataDir;
  }

  /** Starts {@code commandLine} in {@code dataDir}, its stdout and stderr appended to a file there. */
  static RedisProcess start(List<String> commandLine, Path dataDir) throws IOException {
    Process process = new ProcessBuilder(commandLine)
        .directory(dataDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve(STDOUT_FILE).toFile()))
        .start();
    return new RedisProcess(process, dataDir);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  boolean isPaused() {
    return paused;
  }

  int exitValue() {
    return process.exitValue();
  }

  /** SIGTERM (Redis shuts down cleanly), then SIGKILL if it has not exited within {@code timeout}. */
  void terminate(Duration timeout) {
    if (paused) {
      resume(); // a stopped process would hold the SIGTERM until it runs again
    }
    process.destroy();
    if (!waitForExit(timeout)) {
      kill(timeout);
    }
  }

  /** SIGKILL, then waits up to {@code timeout} for the exit. */
  void kill(Duration timeout) {
    process.destroyForcibly();
    waitForExit(timeout);
  }

  /** SIGSTOP: the process freezes with its sockets open, so peers see silence rather than a reset. */
  void pause() {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT: a paused process runs again. */
  void resume() {
    signal("CONT");
    paused = false;
  }

  /** The last {@code lines} lines of the Redis log and of stdout/stderr in {@code dataDir}. */
  static String logTail(Path dataDir, int lines) {
    StringBuilder tail = new StringBuilder();
    for (String file : List.of(RedisCommandLine.LOG_FILE, STDOUT_FILE)) {
      try {
        List<String> all = Files.readAllLines(dataDir.resolve(file), StandardCharsets.UTF_8);
        all.subList(Math.max(0, all.size() - lines), all.size())
            .forEach(line -> tail.append(file).append(": ").append(line).append('\n'));
      } catch (IOException e) {
        tail.append(file).append(": (none: ").append(e.getClass().getSimpleName()).append(")\n");
      }
    }
    return tail.toString();
  }

  /** Deletes a data dir and everything in it; best effort. */
  static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temp dir: nothing more to do
    }
  }

  private void signal(String name) {
    RedisBinary.run("kill", "-" + name, Long.toString(process.pid()));
  }

  private boolean waitForExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }
}
