package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * One throwaway {@code redis-server} process on a free loopback port, with its own temp data dir.
 *
 * <p>The binary is the system's {@code redis-server} or the one shipped in embedded-redis (see
 * {@link #binaryDescription()}; env {@code CHATWORKER_TEST_REDIS=embedded} forces the latter). The
 * server can be stopped, restarted on the same port and data dir, killed, paused (clients paused, or
 * the whole process frozen with SIGSTOP), and have its clients killed. Admin commands go through one
 * named connection of its own, which
 * {@link #clientList()} and {@link #normalClientCount()} leave out. {@link #close()} kills the
 * process and deletes the data dir; a JVM shutdown hook kills whatever a test forgot.
 *
 * <p>Blocking: call it from the test thread or your own threads, never from a Vert.x event loop.
 */
public final class RedisServer implements AutoCloseable {

  /** The only address servers listen on. */
  public static final String HOST = "127.0.0.1";

  private static final String FIXTURE_NAME_PREFIX = "fixture-";
  private static final String ADMIN_NAME = FIXTURE_NAME_PREFIX + "admin";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int CLUSTER_BUS_OFFSET = 10000;
  private static final Set<RedisServer> LIVE = ConcurrentHashMap.newKeySet();
  private static Boolean tlsSupported;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(
        () -> LIVE.forEach(RedisServer::destroyOnExit), "redis-fixture-reaper"));
  }

  private volatile Options options;
  private final Path dataDir;
  private final SSLContext sslContext;
  private int port;
  private volatile RedisProcess process;
  private RespClient admin;

  private RedisServer(Options options, Path dataDir) {
    this.options = options;
    this.dataDir = dataDir;
    if (options.tls()) {
      if (options.tlsDir() == null) {
        TlsCertificates.generate(dataDir);
      }
      this.sslContext = TlsCertificates.trusting(tlsDir().resolve(TlsCertificates.CA_CERT));
    } else {
      this.sslContext = null;
    }
  }

  /** Starts a server with {@link Options#defaults()}. */
  public static RedisServer start() {
    return start(Options.defaults());
  }

  /** Starts a server and returns once it answers PING (or fails with the tail of its log). */
  public static RedisServer start(Options options) {
    Path dir;
    try {
      dir = Files.createTempDirectory("chatworker-redis-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisServer server = null;
    try {
      server = new RedisServer(options, dir);
      LIVE.add(server);
      server.launchOnFreePort();
      return server;
    } catch (RuntimeException | Error e) {
      if (server != null) {
        server.close();
      } else {
        RedisProcess.deleteRecursively(dir);
      }
      throw e;
    }
  }

  /** Where the binary is and what {@code redis-server --version} says, for logs. */
  public static String binaryDescription() {
    return RedisBinary.description();
  }

  /** Whether TLS servers can run here: openssl exists and the binary really starts with TLS. */
  public static synchronized boolean tlsSupported() {
    if (tlsSupported == null) {
      tlsSupported = TlsCertificates.opensslAvailable() && probeTls();
    }
    return tlsSupported;
  }

  public int port() {
    return port;
  }

  public String host() {
    return HOST;
  }

  public Options options() {
    return options;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** {@code redis://} (or {@code rediss://}), with {@code user:password@} when set. */
  public String url() {
    return urlWithPort(port);
  }

  /** Like {@link #url()} but for another port, e.g. a {@link FaultProxy} in front of this server. */
  public String urlWithPort(int otherPort) {
    String userInfo = "";
    if (options.password() != null) {
      String user = options.aclUser() == null ? "" : encode(options.aclUser());
      userInfo = user + ":" + encode(options.password()) + "@";
    }
    return (options.tls() ? "rediss://" : "redis://") + userInfo + HOST + ":" + otherPort;
  }

  /** The PEM CA certificate clients must trust; only for TLS servers. */
  public Path caCertPath() {
    if (!options.tls()) {
      throw new IllegalStateException("Not a TLS server");
    }
    return tlsDir().resolve(TlsCertificates.CA_CERT);
  }

  /** Where the server's certificates are: its own data dir, or the dir given by {@link Options#withTls(Path)}. */
  Path tlsDir() {
    return options.tlsDir() == null ? dataDir : options.tlsDir();
  }

  public boolean isRunning() {
    RedisProcess p = process;
    return p != null && p.isAlive();
  }

  /** The process id of the running server, for people who want to signal it by hand; -1 when not running. */
  public long pid() {
    RedisProcess p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  /** Whether the process is frozen by {@link #pause()}. */
  public boolean isPaused() {
    RedisProcess p = process;
    return p != null && p.isPaused();
  }

  /**
   * Stops the server cleanly (SIGTERM), then waits for the process to exit and the port to be free.
   * Only an append-only server keeps its data across a stop: no RDB snapshots are written.
   */
  public synchronized void stop() {
    if (process != null) {
      closeAdmin();
      process.terminate(STOP_TIMEOUT);
      process = null;
      LocalPorts.awaitFree(HOST, port, STOP_TIMEOUT);
    }
  }

  /** Kills the server with SIGKILL, then waits for the process to exit and the port to be free. */
  public synchronized void kill() {
    killProcess();
    LocalPorts.awaitFree(HOST, port, STOP_TIMEOUT);
  }

  /** Stops the server if it runs, then starts it again on the same port and data dir. */
  public synchronized void restart() {
    stop();
    launch();
  }

  /**
   * Like {@link #restart()}, running with {@code newOptions} from now on, e.g. another {@code replicaof}.
   * TLS and credentials must stay as they were: clients and the admin connection depend on them.
   */
  public synchronized void restart(Options newOptions) {
    if (newOptions.tls() != options.tls() || !Objects.equals(newOptions.tlsDir(), options.tlsDir())
        || !Objects.equals(newOptions.aclUser(), options.aclUser())
        || !Objects.equals(newOptions.password(), options.password())) {
      throw new IllegalArgumentException("A restart cannot change TLS or credentials");
    }
    stop();
    options = newOptions;
    launch();
  }

  /**
   * SIGSTOP: the whole process freezes with its sockets open, as a stalled host would; clients see
   * silence, not a reset. Not synchronized, so a thread stuck on a command cannot hold up {@link #resume()}.
   */
  public void pause() {
    runningProcess().pause();
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() {
    runningProcess().resume();
  }

  /** Whether ROLE says this server replicates {@code master} with its link up (state {@code connected}). */
  public boolean isReplicaOf(RedisServer master) {
    // A replica's ROLE: slave, master host, master port, link state, offset.
    String[] role = command("ROLE").split("\n");
    return role.length >= 4 && role[0].equals("slave") && role[2].equals(Integer.toString(master.port()))
        && role[3].equals("connected");
  }

  /** Runs one admin command and returns its reply as text (see {@link RespClient}). */
  public synchronized String command(String... args) {
    try {
      return admin().command(args);
    } catch (IOException first) {
      closeAdmin(); // killed or reset meanwhile: reopen once
      try {
        return admin().command(args);
      } catch (IOException e) {
        throw new UncheckedIOException("Redis on port " + port + " failed: " + String.join(" ", args), e);
      }
    }
  }

  /** Opens a new client connection (TLS and credentials as configured); the caller closes it. */
  public RespClient connect() {
    try {
      return openClient(null);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot connect to Redis on port " + port, e);
    }
  }

  /** {@code CLIENT KILL TYPE normal}: drops every normal client but the admin connection; returns how many. */
  public int clientKillNormal() {
    return Integer.parseInt(command("CLIENT", "KILL", "TYPE", "normal"));
  }

  /** {@code CLIENT PAUSE ms}: from return on, commands of all clients (admin too) wait for the pause. */
  public void clientPause(long millis) {
    command("CLIENT", "PAUSE", Long.toString(millis));
  }

  /**
   * Sends {@code DEBUG SLEEP seconds} on a connection of its own, which blocks the whole server. Returns
   * once the command is sent; the future completes with its reply when the server wakes up.
   */
  public CompletableFuture<String> debugSleep(double seconds) {
    CompletableFuture<String> reply = new CompletableFuture<>();
    try {
      RespClient sleeper = openClient(FIXTURE_NAME_PREFIX + "sleep");
      sleeper.readTimeout(Duration.ofMillis((long) (seconds * 1000)).plus(RespClient.DEFAULT_TIMEOUT));
      sleeper.send("DEBUG", "SLEEP", String.format(Locale.ROOT, "%.3f", seconds));
      Thread waiter = new Thread(() -> {
        try (sleeper) {
          reply.complete(sleeper.read());
        } catch (IOException | RuntimeException e) {
          reply.completeExceptionally(e);
        }
      }, "redis-debug-sleep");
      waiter.setDaemon(true);
      waiter.start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot send DEBUG SLEEP to port " + port, e);
    }
    return reply;
  }

  /** {@code CONFIG SET key value}. */
  public void configSet(String key, String value) {
    command("CONFIG", "SET", key, value);
  }

  /** {@code CLIENT LIST} lines of every client but the fixture's own connections. */
  public List<String> clientList() {
    return withoutFixtureClients(command("CLIENT", "LIST"));
  }

  /** How many normal (not pub/sub, not replica) clients are connected, the fixture's own left out. */
  public int normalClientCount() {
    return withoutFixtureClients(command("CLIENT", "LIST", "TYPE", "normal")).size();
  }

  /** The last {@code lines} lines of the server's log (and of its stdout/stderr), for diagnostics. */
  public String logTail(int lines) {
    return RedisProcess.logTail(dataDir, lines);
  }

  /** Kills the process and deletes the data dir. */
  @Override
  public synchronized void close() {
    killProcess();
    RedisProcess.deleteRecursively(dataDir);
    LIVE.remove(this);
  }

  private void launchOnFreePort() {
    for (int attempt = 1; ; attempt++) {
      // A cluster node also listens on port + 10000 (its bus), which must be free too.
      port = options.clusterEnabled()
          ? LocalPorts.freeWithOffset(HOST, CLUSTER_BUS_OFFSET)
          : LocalPorts.free(HOST);
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        // Another process may have taken the port between our probe and redis-server's bind.
        if (attempt == 3 || !e.getMessage().contains("Address already in use")) {
          throw e;
        }
      }
    }
  }

  private void launch() {
    List<String> commandLine = RedisCommandLine.build(options, dataDir, tlsDir(), port);
    try {
      process = RedisProcess.start(commandLine, dataDir);
      admin = Await.untilPresent(this::tryOpenAdmin, START_TIMEOUT, "redis-server to answer PING on port " + port);
    } catch (IOException | RuntimeException | AssertionError e) {
      killProcess();
      throw new IllegalStateException("redis-server did not start on port " + port + ": " + e.getMessage()
          + "\ncommand: " + commandLine.stream().map(a -> a.isEmpty() ? "\"\"" : a).collect(Collectors.joining(" "))
          + "\n" + logTail(30), e);
    }
  }

  private RespClient tryOpenAdmin() {
    if (!process.isAlive()) {
      throw new IllegalStateException("redis-server exited with code " + process.exitValue());
    }
    try {
      return openClient(ADMIN_NAME);
    } catch (IOException | RespClient.ErrorReply e) {
      return null; // not listening yet, or still loading its data
    }
  }

  private RedisProcess runningProcess() {
    RedisProcess p = process;
    if (p == null) {
      throw new IllegalStateException("Redis on port " + port + " is not running");
    }
    return p;
  }

  private RespClient admin() throws IOException {
    if (process == null) {
      throw new IllegalStateException("Redis on port " + port + " is not running");
    }
    if (admin == null || admin.socket().isClosed()) {
      admin = openClient(ADMIN_NAME);
    }
    return admin;
  }

  private RespClient openClient(String name) throws IOException {
    RespClient client = RespClient.connect(HOST, port, sslContext);
    try {
      if (options.aclUser() != null) {
        client.command("AUTH", options.aclUser(), options.password());
      } else if (options.password() != null) {
        client.command("AUTH", options.password());
      }
      if (name != null) {
        client.command("CLIENT", "SETNAME", name);
      }
      client.command("PING");
      return client;
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  private void closeAdmin() {
    if (admin != null) {
      try {
        admin.close();
      } catch (IOException ignored) {
        // already gone
      }
      admin = null;
    }
  }

  private void killProcess() {
    closeAdmin();
    RedisProcess p = process;
    if (p != null) {
      p.kill(STOP_TIMEOUT);
      process = null;
    }
  }

  private static List<String> withoutFixtureClients(String clientList) {
    return Arrays.stream(clientList.split("\n"))
        .filter(line -> !line.isBlank())
        .filter(line -> Arrays.stream(line.split(" ")).noneMatch(f -> f.startsWith("name=" + FIXTURE_NAME_PREFIX)))
        .collect(Collectors.toList());
  }

  private static boolean probeTls() {
    try (RedisServer probe = start(Options.defaults().withTls(true))) {
      return "PONG".equals(probe.command("PING"));
    } catch (RuntimeException e) {
      System.err.println("TLS Redis unavailable with " + binaryDescription() + ": " + e.getMessage());
      return false;
    }
  }

  private static void destroyOnExit(RedisServer server) {
    RedisProcess p = server.process;
    if (p != null) {
      p.kill(Duration.ofSeconds(2));
    }
    RedisProcess.deleteRecursively(server.dataDir);
  }

  /** Percent-encodes for the user info; {@code %20} for spaces, which every decoder reads alike. */
  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /**
   * How a {@link RedisServer} runs. With {@link #withAclUser} the default user is switched off and
   * every client must log in as that user (full rights); with {@link #withPassword} the default user
   * needs the password ({@code requirepass}). Extra {@code --name value…} arguments come last, so they
   * override single-valued settings made above. {@code tlsDir}: where the TLS certificates are, or null
   * for a throwaway CA of the server's own.
   */
  public record Options(String aclUser, String password, boolean tls, boolean appendOnly, List<String> extraArgs,
      Path tlsDir) {

    /** Checks that an ACL user has a password and copies the extra arguments. */
    public Options {
      if (aclUser != null && password == null) {
        throw new IllegalArgumentException("An ACL user needs a password");
      }
      extraArgs = List.copyOf(extraArgs);
    }

    /** No password, no TLS, no persistence. */
    public static Options defaults() {
      return new Options(null, null, false, false, List.of(), null);
    }

    /** Default user with {@code requirepass password}; URL {@code redis://:password@…}. */
    public Options withPassword(String password) {
      return new Options(null, password, tls, appendOnly, extraArgs, tlsDir);
    }

    /** An ACL user with all rights, default user off; URL {@code redis://user:password@…}. */
    public Options withAclUser(String user, String password) {
      return new Options(user, password, tls, appendOnly, extraArgs, tlsDir);
    }

    /** TLS only on the server's port, with a throwaway CA ({@link RedisServer#caCertPath()}). */
    public Options withTls(boolean enabled) {
      return new Options(aclUser, password, enabled, appendOnly, extraArgs, null);
    }

    /**
     * TLS only, with the CA and server certificate that {@link TlsCertificates#generate} wrote into
     * {@code dir}: servers that share it trust each other, e.g. a replica syncing over TLS.
     */
    public Options withTls(Path dir) {
      return new Options(aclUser, password, true, appendOnly, extraArgs, dir);
    }

    /** AOF with {@code appendfsync always}, so data survives {@link RedisServer#kill()}. */
    public Options withAppendOnly(boolean enabled) {
      return new Options(aclUser, password, tls, enabled, extraArgs, tlsDir);
    }

    /** Whether {@code --cluster-enabled yes} is among the extra arguments. */
    public boolean clusterEnabled() {
      int at = extraArgs.lastIndexOf("--cluster-enabled");
      return at >= 0 && at + 1 < extraArgs.size() && extraArgs.get(at + 1).equalsIgnoreCase("yes");
    }

    /** Adds {@code --name values…} to the command line. */
    public Options withArg(String name, String... values) {
      List<String> args = new ArrayList<>(extraArgs);
      args.add("--" + name);
      args.addAll(List.of(values));
      return new Options(aclUser, password, tls, appendOnly, args, tlsDir);
    }
  }
}
