package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import chatworker.testing.Await;
import chatworker.testing.CapturedLogs;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AuthAndTlsTest {

  private static final String USER = "worker";
  private static final String PASSWORD = "s3cret-Pa55word-x7";

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension(
      RedisServer.Options.defaults().withAclUser(USER, PASSWORD));

  @RegisterExtension
  final CapturedLogs logs = new CapturedLogs();

  /** Verifies that an ACL user and password taken from the URL log in and can run commands. */
  @Test
  @DisplayName("ACL user and password from the URL log in")
  void aclUserFromTheUrlLogsIn() {
    assertThat(redisServer.server().url()).contains(USER + ":" + PASSWORD + "@");
    try (LayerHarness layer = new LayerHarness(LayerHarness.fastSettings(redisServer.server().url()))) {
      Await.await(layer.redis.send(Request.cmd(Command.SET).arg("k").arg("v"), true));
      assertThat(String.valueOf(Await.await(layer.redis.send(Request.cmd(Command.GET).arg("k"), true))))
          .isEqualTo("v");
      assertThat(String.valueOf(Await.await(
          layer.redis.send(Request.cmd(Command.ACL).arg("WHOAMI"), true)))).isEqualTo(USER);
    }
    assertNoSecretLogged(PASSWORD);
  }

  /**
   * Verifies that a wrong password fails calls fast with an error that says the credentials were
   * refused, that readiness reports it, and that the password reaches neither logs nor messages. A
   * call is not retried while the credentials stand refused: with a reconnect grace of 8 s (a call that
   * finds no connection keeps trying that long otherwise) it fails well before that.
   */
  @Test
  @DisplayName("A wrong password fails fast and clearly, and is never logged")
  void wrongPasswordFailsFastWithoutLeakingIt() {
    String wrong = "Wrong-Pa55word-q9";
    String url = "redis://" + USER + ":" + wrong + "@127.0.0.1:" + redisServer.server().port();
    RedisSettings settings = RedisSettings.fromJson(LayerHarness.fastJson(url).put("connectTimeoutMs", 8_000));
    try (LayerHarness layer = new LayerHarness(settings)) {
      Await.until(() -> layer.redis.health().authRejected(), Duration.ofSeconds(10), "credentials refused");
      long started = System.nanoTime();
      RedisFailure failure = LayerHarness.failureOf(
          layer.redis.send(Request.cmd(Command.GET).arg("k"), true, Deadline.inMillis(20_000)));
      assertThat((System.nanoTime() - started) / 1_000_000).as("ms until the call failed").isLessThan(4_000);
      assertThat(failure.getMessage()).contains("refused the configured credentials").doesNotContain(wrong);
      assertThat(layer.redis.health().ready()).isFalse();
      assertThat(layer.redis.health().toJson().encode()).doesNotContain(wrong);
      assertThat(layer.redis.settings().toString()).doesNotContain(wrong);
    }
    assertNoSecretLogged(wrong);
    assertThat(logs.events()).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("refused the configured credentials"));
  }

  /** Verifies that {@code rediss://} works against a TLS-only redis-server trusting a throwaway CA. */
  @Test
  @DisplayName("rediss:// against a real TLS redis-server")
  void tlsConnectionWorks() {
    assumeTrue(RedisServer.tlsSupported(), "this redis-server binary has no TLS (or no openssl): "
        + RedisServer.binaryDescription());
    RedisServer tls = redisServer.startExtra(RedisServer.Options.defaults().withAclUser(USER, PASSWORD).withTls(true));
    assertThat(tls.url()).startsWith("rediss://");
    RedisSettings settings = RedisSettings.fromJson(new JsonObject().put("url", tls.url())
        .put("tls", new JsonObject().put("caCertPath", tls.caCertPath().toString())));
    try (LayerHarness layer = new LayerHarness(settings)) {
      Await.await(layer.redis.send(Request.cmd(Command.SET).arg("tls-key").arg("over-tls"), true));
      assertThat(String.valueOf(Await.await(
          layer.redis.send(Request.cmd(Command.GET).arg("tls-key"), true)))).isEqualTo("over-tls");
    }
    assertNoSecretLogged(PASSWORD);
  }

  private void assertNoSecretLogged(String secret) {
    assertThat(logs.events()).allSatisfy(event -> {
      assertThat(event.getFormattedMessage()).doesNotContain(secret);
      if (event.getThrowableProxy() != null) {
        assertThat(event.getThrowableProxy().getMessage()).doesNotContain(secret);
      }
    });
  }
}
