package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * One Redis Sentinel ({@code redis-server sentinel.conf --sentinel}) on a free loopback port, with the
 * config file it must be able to rewrite in a temp dir of its own; perhaps on TLS only, as a server and
 * towards the data nodes and the other sentinels. Blocking, for the test thread only.
 */
final class SentinelNode implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Set<SentinelNode> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(
        () -> LIVE.forEach(SentinelNode::destroyOnExit), "sentinel-fixture-reaper"));
  }

  private final Path dir;
  /** What the fixture's own connection logs in with: null, or {@code [user, password]} ({@code user} may be null). */
  private final String[] login;
  /** Where the TLS certificates are ({@link TlsCertificates#generate}), or null for plain TCP. */
  private final Path tlsDir;
  /** The fixture's own connection over TLS trusting that CA, or null for plain TCP. */
  private final SSLContext tls;
  private int port;
  private volatile RedisProcess process;
  private RespClient client;

  private SentinelNode(Path dir, String[] login, Path tlsDir) {
    this.dir = dir;
    this.login = login;
    this.tlsDir = tlsDir;
    this.tls = tlsDir == null ? null : TlsCertificates.trusting(tlsDir.resolve(TlsCertificates.CA_CERT));
  }

  /**
   * Starts a sentinel configured by {@code sentinelLines} (e.g. {@code sentinel monitor …}; port, dir and
   * log file are added here) and returns once it answers PING.
   */
  static SentinelNode start(List<String> sentinelLines) {
    return start(sentinelLines, null, null);
  }

  /**
   * Like {@link #start(List)}, for a sentinel that requires a login (its {@code requirepass} or ACL
   * users are among {@code sentinelLines}): the fixture's own connection logs in as {@code user}
   * (null: the default user) with {@code password}; a null password means no login.
   */
  static SentinelNode start(List<String> sentinelLines, String user, String password) {
    return start(sentinelLines, user, password, null);
  }

  /**
   * Like {@link #start(List, String, String)}; with a {@code tlsDir} (certificates of
   * {@link TlsCertificates#generate}) the sentinel speaks TLS only ({@code port 0}, {@code tls-port}),
   * and with {@code tls-replication yes} also to the data nodes and the other sentinels, to which it
   * announces its TLS port. The data nodes must then use the same certificates.
   */
  static SentinelNode start(List<String> sentinelLines, String user, String password, Path tlsDir) {
    SentinelNode node;
    try {
      node = new SentinelNode(Files.createTempDirectory("chatworker-sentinel-"),
          password == null ? null : new String[] {user, password}, tlsDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LIVE.add(node);
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          node.launch(sentinelLines);
          return node;
        } catch (IllegalStateException e) {
          // Another process may have taken the port between our probe and the sentinel's bind.
          if (attempt == 3 || !e.getMessage().contains("Address already in use")) {
            throw e;
          }
        }
      }
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
  }

  int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:port}, or {@code rediss://} on TLS. */
  String url() {
    return (tls == null ? "redis://" : "rediss://") + RedisServer.HOST + ":" + port;
  }

  /** Runs one command on the sentinel and returns its reply as {@link RespClient} text. */
  synchronized String command(String... args) {
    try {
      if (client == null) {
        client = RespClient.connect(RedisServer.HOST, port, tls);
        logIn();
      }
      return client.command(args);
    } catch (IOException e) {
      closeClient();
      throw new UncheckedIOException("Sentinel on port " + port + " failed: " + String.join(" ", args), e);
    }
  }

  /** Kills the process and deletes its dir. */
  @Override
  public synchronized void close() {
    closeClient();
    if (process != null) {
      process.kill(Duration.ofSeconds(5));
      process = null;
    }
    RedisProcess.deleteRecursively(dir);
    LIVE.remove(this);
  }

  private void launch(List<String> sentinelLines) {
    port = LocalPorts.free(RedisServer.HOST);
    List<String> conf = new ArrayList<>(tlsDir == null ? List.of("port " + port) : List.of("port 0",
        "tls-port " + port,
        "tls-cert-file " + tlsDir.resolve(TlsCertificates.SERVER_CERT),
        "tls-key-file " + tlsDir.resolve(TlsCertificates.SERVER_KEY),
        "tls-ca-cert-file " + tlsDir.resolve(TlsCertificates.CA_CERT),
        "tls-auth-clients no",
        // Sentinel's own connections (to the data nodes, to the other sentinels) use TLS only with this;
        // it also makes the sentinel announce its TLS port to the others.
        "tls-replication yes"));
    conf.addAll(List.of("bind " + RedisServer.HOST, "dir " + dir,
        "logfile " + dir.resolve(RedisCommandLine.LOG_FILE), "protected-mode no"));
    conf.addAll(sentinelLines);
    Path confFile = dir.resolve("sentinel.conf");
    try {
      Files.write(confFile, conf, StandardCharsets.UTF_8);
      List<String> commandLine = List.of(RedisBinary.path().toString(), confFile.toString(), "--sentinel");
      process = RedisProcess.start(commandLine, dir);
      Await.until(this::answersPing, START_TIMEOUT, "sentinel to answer PING on port " + port);
    } catch (IOException | RuntimeException | AssertionError e) {
      if (process != null) {
        process.kill(START_TIMEOUT);
        process = null;
      }
      throw new IllegalStateException("Sentinel did not start on port " + port + ": " + e.getMessage()
          + "\n" + RedisProcess.logTail(dir, 30), e);
    }
  }

  private boolean answersPing() {
    if (!process.isAlive()) {
      throw new IllegalStateException("sentinel exited with code " + process.exitValue());
    }
    try {
      return "PONG".equals(command("PING"));
    } catch (UncheckedIOException e) {
      return false; // not listening yet
    }
  }

  private void destroyOnExit() {
    RedisProcess p = process;
    if (p != null) {
      p.kill(Duration.ofSeconds(2));
    }
    RedisProcess.deleteRecursively(dir);
  }

  /** Logs the fixture's connection in, if the sentinel wants a login; a refusal closes it. */
  private void logIn() throws IOException {
    try {
      if (login != null && login[0] != null) {
        client.command("AUTH", login[0], login[1]);
      } else if (login != null) {
        client.command("AUTH", login[1]);
      }
    } catch (IOException | RuntimeException e) {
      closeClient();
      throw e;
    }
  }

  private void closeClient() {
    if (client != null) {
      try {
        client.close();
      } catch (IOException ignored) {
        // already gone
      }
      client = null;
    }
  }
}
