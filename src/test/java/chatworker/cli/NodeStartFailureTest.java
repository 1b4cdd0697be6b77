package chatworker.cli;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * A whole node ({@link NodeVerticle}) deployed on a plain Vert.x against a real redis-server, whose
 * last start step (the status endpoint) cannot bind its port. The Vert.x stays up afterwards, so
 * anything the failed start left running would go on running and be seen.
 */
class NodeStartFailureTest {

  /** Reconnect backoff of the node under test: at most this between two attempts. */
  private static final long RECONNECT_MAX_MS = 100;
  /** "Nothing happens" is watched this long: ten reconnect backoffs and health-check periods. */
  private static final Duration QUIET_WINDOW = Duration.ofMillis(10 * RECONNECT_MAX_MS);

  @RegisterExtension
  RedisExtension redis = new RedisExtension();

  private final ListAppender<ILoggingEvent> redisLog = new ListAppender<>();
  private Vertx vertx;

  @BeforeEach
  void recordRedisLayerLog() {
    redisLog.start();
    redisLogger().addAppender(redisLog);
  }

  @AfterEach
  void closeVertx() {
    redisLogger().detachAppender(redisLog);
    if (vertx != null) {
      await(vertx.close());
    }
  }

  private static Logger redisLogger() {
    return (Logger) LoggerFactory.getLogger("chatworker.redis");
  }

  /**
   * Verifies that a node whose HTTP port is taken fails to deploy with a NodeStartException saying so
   * in one line, after undoing what it had started: its verticles are undeployed, its Redis
   * connections (which it had opened) are closed by the layer itself — not pulled from under it by
   * Vert.x's clean-up, which the layer takes for a lost connection and answers with a reconnect — and
   * nothing connects again afterwards, even with Redis dropping every client, while the Vert.x it ran
   * on is still up.
   */
  @Test
  @DisplayName("HTTP port taken: the deploy fails naming the port, Redis connections close, nothing reconnects")
  void failedStartLeavesNothingRunning() throws IOException {
    RedisServer server = redis.server();
    int clientsBefore = server.clientList().size();
    long connectsBefore = totalConnectionsReceived(server);
    vertx = Vertx.vertx();
    JsonObject overrides = new JsonObject()
        .put("redis", new JsonObject().put("healthCheckIntervalMs", RECONNECT_MAX_MS)
            .put("reconnect", new JsonObject().put("initialDelayMs", 10).put("maxDelayMs", RECONNECT_MAX_MS)));

    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      overrides.put("http", new JsonObject().put("host", "127.0.0.1").put("port", port));
      assertThatThrownBy(() -> new TestNode(vertx, server.url(), overrides, "start-fails", List.of("start-fails")))
          .isInstanceOf(NodeStartException.class)
          .hasMessage("HTTP port " + port + " on 127.0.0.1 is taken");
    }
    int logAtFailure = redisLog.list.size();

    assertThat(totalConnectionsReceived(server) - connectsBefore)
        .as("connections the Redis layer opened before the failing step").isGreaterThanOrEqualTo(4);
    assertThat(vertx.deploymentIDs()).as("verticles left deployed").isEmpty();
    Await.until(() -> server.clientList().size() == clientsBefore, Duration.ofSeconds(5),
        "Redis CLIENT LIST back to the " + clientsBefore + " clients before the start; now " + server.clientList());

    // A connection still held, or a reconnect loop still running, would connect again after this.
    server.clientKillNormal();
    long connectsAfter = totalConnectionsReceived(server);
    LockSupport.parkNanos(QUIET_WINDOW.toNanos()); // a bounded window in which nothing may happen
    assertThat(totalConnectionsReceived(server)).as("connections received after the failed start")
        .isEqualTo(connectsAfter);
    assertThat(server.clientList()).as("clients after the failed start").hasSize(clientsBefore);
    List<String> lines = redisLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(lines).as("the Redis layer's log").contains("Redis layer closed")
        .noneMatch(line -> line.contains("reconnecting"));
    assertThat(lines.subList(logAtFailure, lines.size())).as("the Redis layer's log after the failed start")
        .noneMatch(line -> line.contains("could not connect"));
  }

  /** INFO stats {@code total_connections_received}: every connection Redis ever accepted. */
  private static long totalConnectionsReceived(RedisServer server) {
    for (String line : server.command("INFO", "stats").split("\r?\n")) {
      if (line.startsWith("total_connections_received:")) {
        return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    throw new AssertionError("no total_connections_received in INFO stats");
  }
}
