package chatworker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tests of the {@link RedisServer} fixture and its {@link RedisExtension}. */
@Timeout(60)
class RedisServerTest {

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  @BeforeAll
  static void logBinary() {
    System.out.println("redis-server under test: " + RedisServer.binaryDescription());
  }

  /** Verifies that the extension's server answers PING on loopback and its URL names its port. */
  @Test
  @DisplayName("a started server answers PING")
  void startedServerAnswersPing() throws IOException {
    RedisServer server = redis.server();
    assertThat(server.command("PING")).isEqualTo("PONG");
    assertThat(server.url()).isEqualTo("redis://127.0.0.1:" + server.port());
    try (RespClient client = RespClient.connect(server.host(), server.port())) {
      assertThat(client.command("ECHO", "hello")).isEqualTo("hello");
    }
  }

  /** Verifies that a stopped append-only server restarts on the same port with its data. */
  @Test
  @DisplayName("restart keeps the port and the AOF data")
  void restartKeepsPortAndAppendOnlyData() {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults().withAppendOnly(true));
    int port = server.port();
    server.command("SET", "greeting", "hello");

    server.stop();
    assertThat(server.isRunning()).isFalse();
    server.restart();

    assertThat(server.port()).isEqualTo(port);
    assertThat(server.command("GET", "greeting")).isEqualTo("hello");
  }

  /** Verifies that a killed server refuses connections and, with fsync always, keeps its data on restart. */
  @Test
  @DisplayName("kill refuses connections; restart after kill keeps the AOF data")
  void killRefusesConnectionsAndRestartKeepsData() {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults().withAppendOnly(true));
    server.command("RPUSH", "turns", "a", "b");

    server.kill();

    assertThat(server.isRunning()).isFalse();
    assertThatThrownBy(() -> RespClient.connect(server.host(), server.port())).isInstanceOf(ConnectException.class);
    server.restart();
    assertThat(server.command("LRANGE", "turns", "0", "-1")).isEqualTo("a\nb");
  }

  /** Verifies that clientKillNormal drops a raw client connection but not the admin connection. */
  @Test
  @DisplayName("CLIENT KILL TYPE normal drops other clients, not the admin connection")
  void clientKillNormalDropsOtherClients() throws IOException {
    RedisServer server = redis.server();
    try (RespClient client = server.connect()) {
      assertThat(server.normalClientCount()).isEqualTo(1);

      assertThat(server.clientKillNormal()).isEqualTo(1);

      assertThatThrownBy(() -> client.command("PING")).isInstanceOf(IOException.class);
      assertThat(server.command("PING")).isEqualTo("PONG");
      assertThat(server.normalClientCount()).isZero();
    }
  }

  /** Verifies that CLIENT PAUSE holds a client's command until the pause ends. */
  @Test
  @DisplayName("CLIENT PAUSE delays a command")
  void clientPauseDelaysCommand() throws IOException {
    RedisServer server = redis.server();
    try (RespClient client = server.connect()) {
      long start = System.nanoTime();
      server.clientPause(300);

      assertThat(client.command("PING")).isEqualTo("PONG");

      assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(250);
    }
  }

  /** Verifies that DEBUG SLEEP blocks the whole server and its future completes when it wakes. */
  @Test
  @DisplayName("DEBUG SLEEP blocks the server")
  void debugSleepBlocksServer() throws Exception {
    RedisServer server = redis.server();
    try (RespClient client = server.connect()) {
      long start = System.nanoTime();
      CompletableFuture<String> sleep = server.debugSleep(0.3);

      assertThat(client.command("PING")).isEqualTo("PONG");

      assertThat(elapsedMillis(start)).isGreaterThanOrEqualTo(250);
      assertThat(sleep.get(10, TimeUnit.SECONDS)).isEqualTo("OK");
    }
  }

  /** Verifies that a paused (SIGSTOP) server leaves a command unanswered, and answers it once resumed. */
  @Test
  @DisplayName("pause freezes the process until resume")
  void pauseFreezesTheProcessUntilResume() throws IOException {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults());
    try (RespClient client = server.connect()) {
      server.pause();
      client.send("PING");
      client.readTimeout(Duration.ofMillis(200));

      assertThatThrownBy(client::read).isInstanceOf(SocketTimeoutException.class);

      server.resume();
      client.readTimeout(Duration.ofSeconds(5));
      assertThat(client.read()).isEqualTo("PONG");
    }
  }

  /** Verifies that restart with new options applies them, e.g. a server restarted as a replica. */
  @Test
  @DisplayName("restart with other options applies them")
  void restartWithOtherOptionsAppliesThem() {
    RedisServer master = redis.startExtra(RedisServer.Options.defaults());
    RedisServer server = redis.startExtra(RedisServer.Options.defaults());

    server.restart(server.options().withArg("replicaof", master.host(), Integer.toString(master.port())));

    assertThat(server.command("ROLE")).startsWith("slave\n127.0.0.1\n" + master.port());
  }

  /** Verifies that CONFIG SET maxclients takes effect: a client beyond the limit is refused. */
  @Test
  @DisplayName("CONFIG SET maxclients limits connections")
  void configSetMaxclientsLimitsConnections() throws IOException {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults());
    server.configSet("maxclients", "2"); // the admin connection plus one

    assertThat(server.command("CONFIG", "GET", "maxclients")).isEqualTo("maxclients\n2");
    try (RespClient first = server.connect()) {
      assertThat(first.command("PING")).isEqualTo("PONG");
      try (RespClient second = RespClient.connect(server.host(), server.port())) {
        // Redis greets the client over the limit with an error, then closes the connection.
        assertThatThrownBy(second::read).hasMessageContaining("max number of clients reached");
      }
    }
  }

  /** Verifies that an ACL user logs in with its password, a wrong password is refused, and so is no login. */
  @Test
  @DisplayName("ACL user: right password works, wrong password and no login are refused")
  void aclUserPasswordIsEnforced() throws IOException {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults().withAclUser("app", "s3cret"));

    assertThat(server.command("ACL", "WHOAMI")).isEqualTo("app");
    assertThat(server.url()).isEqualTo("redis://app:s3cret@127.0.0.1:" + server.port());
    try (RespClient client = RespClient.connect(server.host(), server.port())) {
      assertThatThrownBy(() -> client.command("PING")).hasMessageStartingWith("NOAUTH");
      assertThatThrownBy(() -> client.command("AUTH", "app", "wrong")).hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> client.command("AUTH", "default", "")).hasMessageStartingWith("WRONGPASS");
      assertThat(client.command("AUTH", "app", "s3cret")).isEqualTo("OK");
      assertThat(client.command("PING")).isEqualTo("PONG");
    }
  }

  /** Verifies that a password-only server wants that password from the default user. */
  @Test
  @DisplayName("requirepass: the default user needs the password")
  void passwordOnlyServerRequiresItFromDefaultUser() throws IOException {
    RedisServer server = redis.startExtra(RedisServer.Options.defaults().withPassword("p@ss word"));

    assertThat(server.url()).isEqualTo("redis://:p%40ss%20word@127.0.0.1:" + server.port());
    try (RespClient client = RespClient.connect(server.host(), server.port())) {
      assertThatThrownBy(() -> client.command("PING")).hasMessageStartingWith("NOAUTH");
      assertThat(client.command("AUTH", "p@ss word")).isEqualTo("OK");
      assertThat(client.command("ACL", "WHOAMI")).isEqualTo("default");
    }
  }

  /** Verifies that a TLS server serves clients trusting its CA and refuses plain-text clients. */
  @Test
  @DisplayName("TLS server works with its CA and refuses plain text")
  void tlsServerServesClientsTrustingItsCa() {
    assumeTrue(RedisServer.tlsSupported(), "redis-server here cannot run TLS (or no openssl)");
    RedisServer server = redis.startExtra(RedisServer.Options.defaults().withTls(true));

    assertThat(server.url()).startsWith("rediss://127.0.0.1:");
    assertThat(server.caCertPath()).exists();
    assertThat(server.command("PING")).isEqualTo("PONG");
    assertThatThrownBy(() -> {
      try (RespClient plain = RespClient.connect(server.host(), server.port())) {
        plain.readTimeout(Duration.ofSeconds(5)).command("PING");
      }
    }).isInstanceOf(IOException.class);
  }

  private static long elapsedMillis(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
