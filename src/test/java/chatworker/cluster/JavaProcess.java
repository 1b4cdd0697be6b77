package chatworker.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A JVM child process running {@code chatworker.cli.Main} from this test JVM's own classpath: the
 * same code as {@code java -jar target/chat-worker.jar}, without needing the jar, which
 * {@code mvn verify} only builds after the tests. stdout and stderr go to files next to each other
 * ({@code <name>.out}, {@code <name>.log}), so a failed test leaves them to read.
 *
 * <p>Every process started here is killed by {@link #close()} and, should a test forget or the JVM
 * be stopped, by a shutdown hook.
 */
final class JavaProcess implements AutoCloseable {

  /** The flags Hazelcast wants on Java 17: pom.xml's {@code hazelcast.jvm.flags}, scripts/lib.sh's list. */
  static final List<String> HAZELCAST_JVM_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  /** Small heaps and the C1 compiler only: several of these JVMs share two cores with the test. */
  private static final List<String> TEST_JVM_FLAGS = List.of("-Xmx256m", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1");
  private static final String MAIN_CLASS = "chatworker.cli.Main";
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(
        () -> LIVE.forEach(Process::destroyForcibly), "cluster-test-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private JavaProcess(String name, Process process, Path stdout, Path stderr) {
    this.name = name;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts {@code java … chatworker.cli.Main args} in the project directory, with the environment of
   * this JVM minus every {@code CHATWORKER_*} variable, plus {@code env}.
   */
  static JavaProcess start(String name, Path dir, Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(HAZELCAST_JVM_FLAGS);
    command.addAll(TEST_JVM_FLAGS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MAIN_CLASS);
    command.addAll(args);
    Path out = dir.resolve(name + ".out");
    Path err = dir.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("CHATWORKER_"));
    builder.environment().putAll(env);
    try {
      Files.createDirectories(dir);
      Process process = builder.start();
      LIVE.add(process);
      return new JavaProcess(name, process, out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  String name() {
    return name;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the process wrote to stderr so far (its log). */
  String log() {
    return read(stderr);
  }

  /** Everything the process wrote to stdout so far. */
  String stdout() {
    return read(stdout);
  }

  /** The last {@code lines} lines of the log, for assertion messages. */
  String logTail(int lines) {
    List<String> all = Arrays.asList(log().split("\n"));
    return name + " log (" + stderr + "), last lines:\n"
        + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** SIGTERM: a node stops gracefully. */
  void terminate() {
    process.destroy();
  }

  /** SIGKILL, then waits until the process is gone. */
  void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /** Waits for the process to exit and returns its exit code; fails when it still runs after {@code timeout}. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " still runs after " + timeout.toMillis() + " ms\n" + logTail(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + name, e);
    }
    LIVE.remove(process);
    return process.exitValue();
  }

  /** Kills the process if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    LIVE.remove(process);
  }

  private static String read(Path file) {
    try {
      // Not readString: the file may end in the middle of a character being written.
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
