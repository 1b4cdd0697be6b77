package chatworker.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the {@code redis-server} binary the fixtures run, once per JVM.
 *
 * <p>Env {@value #ENV} picks it: unset (or {@code auto}) means {@code redis-server} on the PATH if
 * there is one, else the binary shipped inside the {@code com.github.codemonstur:embedded-redis} jar
 * (extracted to a temp file); {@code embedded} forces the shipped one, {@code system} forces the PATH
 * one, and anything else is taken as the path of a binary.
 */
final class RedisBinary {

  static final String ENV = "CHATWORKER_TEST_REDIS";

  private static final Pattern VERSION = Pattern.compile("v=(\\d+)\\.(\\d+)\\.(\\d+)");

  private static Path path;
  private static String versionLine;

  private RedisBinary() {
  }

  /** The binary to run; found (and extracted) on first use. */
  static synchronized Path path() {
    if (path == null) {
      path = locate(Optional.ofNullable(System.getenv(ENV)).orElse("auto").trim());
    }
    return path;
  }

  /** The output of {@code redis-server --version}, e.g. {@code Redis server v=7.0.15 sha=…}. */
  static synchronized String versionLine() {
    if (versionLine == null) {
      versionLine = run(path().toString(), "--version").trim();
    }
    return versionLine;
  }

  /** The major version (6 for the embedded binary), which decides a few config options. */
  static int majorVersion() {
    Matcher m = VERSION.matcher(versionLine());
    if (!m.find()) {
      throw new IllegalStateException("Cannot parse the Redis version from: " + versionLine());
    }
    return Integer.parseInt(m.group(1));
  }

  /** Where the binary is and what it says it is, for logs. */
  static String description() {
    return path() + " (" + versionLine() + ")";
  }

  /** Looks for an executable {@code name} on the PATH. */
  static Optional<Path> onPath(String name) {
    String pathEnv = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String dir : pathEnv.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, name);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** Runs a short command and returns its combined output; fails unless it exits 0 within 30 s. */
  static String run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("Timed out: " + String.join(" ", command));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "Exit " + process.exitValue() + " from " + String.join(" ", command) + ":\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot run " + command[0], e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted running " + command[0], e);
    }
  }

  private static Path locate(String choice) {
    switch (choice) {
      case "embedded":
        return extractEmbedded();
      case "system":
        return onPath("redis-server")
            .orElseThrow(() -> new IllegalStateException(ENV + "=system but no redis-server on PATH"));
      case "":
      case "auto":
        return onPath("redis-server").orElseGet(RedisBinary::extractEmbedded);
      default:
        Path given = Path.of(choice);
        if (!Files.isExecutable(given)) {
          throw new IllegalStateException(ENV + " names no executable file: " + choice);
        }
        return given;
    }
  }

  private static Path extractEmbedded() {
    String resource = embeddedResourceName();
    try (InputStream in = RedisBinary.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("No " + resource + " on the class path (embedded-redis jar missing?)");
      }
      Path target = Files.createTempFile("chatworker-" + resource + "-", "");
      target.toFile().deleteOnExit();
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot extract " + resource, e);
    }
  }

  /** The resource names as shipped in embedded-redis 1.4.3. */
  private static String embeddedResourceName() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    boolean arm = arch.equals("aarch64") || arch.equals("arm64");
    boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
    if (os.contains("linux")) {
      if (x64) {
        return "redis-server-6.2.6-v5-linux-amd64";
      }
      if (arm) {
        return "redis-server-6.2.7-linux-arm64";
      }
      if (arch.matches("x86|i[3-6]86")) {
        return "redis-server-6.2.7-linux-386";
      }
    } else if (os.contains("mac")) {
      if (x64) {
        return "redis-server-6.2.6-v5-darwin-amd64";
      }
      if (arm) {
        return "redis-server-6.2.6-v5-darwin-arm64";
      }
    }
    throw new IllegalStateException("No embedded redis-server for " + os + "/" + arch + "; install redis-server");
  }
}
