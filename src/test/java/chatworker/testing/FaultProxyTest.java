package chatworker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tests of the {@link FaultProxy} fixture, with a real Redis behind it. */
@Timeout(60)
class FaultProxyTest {

  private static final Duration WAIT = Duration.ofSeconds(5);

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private FaultProxy proxy;

  @BeforeEach
  void startProxy() {
    proxy = FaultProxy.startFor(redis.server());
  }

  @AfterEach
  void closeProxy() {
    proxy.close();
  }

  /** Verifies that commands and replies pass through, pipelined ones in order. */
  @Test
  @DisplayName("forwards commands and replies in order")
  void forwardsPipelinedCommandsInOrder() throws IOException {
    try (RespClient client = connectThroughProxy()) {
      assertThat(client.command("PING")).isEqualTo("PONG");
      Await.until(() -> proxy.openConnections() == 1, WAIT, "one proxied connection");

      assertThat(pipelineIncrements(client, "forwarded", 2_000)).isTrue();
    }
    Await.until(() -> proxy.openConnections() == 0, WAIT, "the closed client to leave the proxy");
  }

  /** Verifies that latency delays a round trip (both directions) and keeps pipelined replies in order. */
  @Test
  @DisplayName("latency delays round trips and keeps order")
  void latencyDelaysRoundTripsAndKeepsOrder() throws IOException {
    try (RespClient client = connectThroughProxy()) {
      proxy.latency(Duration.ofMillis(100));

      long start = System.nanoTime();
      assertThat(client.command("PING")).isEqualTo("PONG");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(190);
      assertThat(pipelineIncrements(client, "delayed", 500)).isTrue();

      proxy.heal();
      assertThat(client.command("PING")).isEqualTo("PONG");
    }
  }

  /** Verifies that resetAll breaks current connections while new ones still work. */
  @Test
  @DisplayName("resetAll breaks current connections, new ones work")
  void resetAllBreaksCurrentConnections() throws IOException {
    try (RespClient client = connectThroughProxy()) {
      assertThat(client.command("PING")).isEqualTo("PONG");

      proxy.resetAll();

      assertThat(proxy.openConnections()).isZero();
      assertThatThrownBy(() -> client.command("PING")).isInstanceOf(IOException.class);
      Await.until(() -> redis.server().normalClientCount() == 0, WAIT, "Redis to see its client gone");
    }
    try (RespClient fresh = connectThroughProxy()) {
      assertThat(fresh.command("PING")).isEqualTo("PONG");
    }
  }

  /** Verifies that a black hole makes reads time out with the socket still open, and heal restores it. */
  @Test
  @DisplayName("blackhole times reads out on open sockets; heal restores")
  void blackholeTimesOutReadsUntilHealed() throws IOException {
    try (RespClient client = connectThroughProxy()) {
      assertThat(client.command("PING")).isEqualTo("PONG");
      client.readTimeout(Duration.ofMillis(300));

      proxy.blackhole();

      assertThatThrownBy(() -> client.command("PING")).isInstanceOf(SocketTimeoutException.class);
      assertThat(client.socket().isClosed()).isFalse();
      try (RespClient during = connectThroughProxy().readTimeout(Duration.ofMillis(300))) {
        assertThatThrownBy(() -> during.command("PING")).isInstanceOf(SocketTimeoutException.class);
      }
      assertThat(proxy.openConnections()).isGreaterThanOrEqualTo(1);

      proxy.heal();

      // The black-holed PING was dropped, so the stream is in step again.
      assertThat(client.command("PING")).isEqualTo("PONG");
    }
  }

  /** Verifies that a closed proxy refuses new connections and closes the current ones. */
  @Test
  @DisplayName("close refuses new connections and closes current ones")
  void closeRefusesAndClosesConnections() throws IOException {
    try (RespClient client = connectThroughProxy()) {
      assertThat(client.command("PING")).isEqualTo("PONG");

      proxy.close();

      assertThatThrownBy(() -> client.command("PING")).isInstanceOf(IOException.class);
      assertThatThrownBy(this::connectThroughProxy).isInstanceOf(ConnectException.class);
      assertThat(proxy.openConnections()).isZero();
    }
  }

  private RespClient connectThroughProxy() throws IOException {
    return RespClient.connect(proxy.host(), proxy.port());
  }

  /** Pipelines {@code count} INCRs and checks that the replies count up 1..count. */
  private static boolean pipelineIncrements(RespClient client, String key, int count) throws IOException {
    client.command("DEL", key);
    for (int i = 0; i < count; i++) {
      client.send("INCR", key);
    }
    for (int i = 1; i <= count; i++) {
      if (!client.read().equals(Integer.toString(i))) {
        return false;
      }
    }
    return true;
  }
}
