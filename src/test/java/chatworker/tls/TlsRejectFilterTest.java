package chatworker.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import java.net.ConnectException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class TlsRejectFilterTest {

  private final AtomicLong clock = new AtomicLong(1);
  private final TlsRejectFilter filter = new TlsRejectFilter(clock::get);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger eventBus = (Logger) LoggerFactory.getLogger(TlsRejectFilter.EVENT_BUS_LOGGER);
  private final Logger connection = (Logger) LoggerFactory.getLogger(TlsRejectFilter.CONNECTION_LOGGER);

  private final Logger tlsLog = (Logger) LoggerFactory.getLogger("chatworker.tls");
  private Level levelBefore;

  /** At WARN whatever an earlier test in this JVM did to the root logger (submit quiets it to ERROR). */
  @BeforeEach
  void capture() {
    lines.start();
    levelBefore = tlsLog.getLevel();
    tlsLog.setLevel(Level.WARN);
    tlsLog.addAppender(lines);
  }

  @AfterEach
  void release() {
    tlsLog.detachAppender(lines);
    tlsLog.setLevel(levelBefore);
  }

  /**
   * Verifies that Vert.x's failed TLS connections to a member are dropped and counted, and that one
   * line per member per minute says so, with the number of failures it stands for and the root cause.
   */
  @Test
  @DisplayName("Failed TLS connects: Vert.x's lines dropped, counted, one line per member per minute")
  void oneLinePerMemberPerMinute() {
    long before = TlsRejectFilter.refusedByNode();
    SSLHandshakeException refused = new SSLHandshakeException("Failed to create SSL connection");
    refused.initCause(new IllegalStateException("PKIX path building failed"));
    for (int i = 0; i < 5; i++) {
      assertThat(failedConnect("node-a", refused)).isEqualTo(FilterReply.DENY);
      assertThat(failedConnect("node-b", refused)).isEqualTo(FilterReply.DENY);
    }
    clock.addAndGet(TimeUnit.SECONDS.toNanos(59));
    failedConnect("node-a", refused);
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    failedConnect("node-a", refused);

    assertThat(TlsRejectFilter.refusedByNode() - before).isEqualTo(12);
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
        "event bus: TLS handshake with member node-a failed, nothing is sent to it (1 failures since the last such"
            + " line): IllegalStateException: PKIX path building failed",
        "event bus: TLS handshake with member node-b failed, nothing is sent to it (1 failures since the last such"
            + " line): IllegalStateException: PKIX path building failed",
        "event bus: TLS handshake with member node-a failed, nothing is sent to it (6 failures since the last such"
            + " line): IllegalStateException: PKIX path building failed");
  }

  /** Verifies that what is not a TLS failure passes untouched, and so does the level probe. */
  @Test
  @DisplayName("A member gone (no TLS involved), other loggers and the level probe pass through")
  void otherLinesPass() {
    assertThat(failedConnect("node-c", new ConnectException("Connection refused"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, eventBus, Level.WARN, null, null, null)).isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, (Logger) LoggerFactory.getLogger("x"), Level.WARN, "Connecting to server a failed",
        null, new SSLHandshakeException("x"))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(lines.list).isEmpty();
  }

  /** Verifies that a peer's refusal of this node's certificate (logged without a throwable) is counted. */
  @Test
  @DisplayName("A member refusing this node's certificate is counted and logged once")
  void refusedByAMember() {
    long before = TlsRejectFilter.refusedByMember();
    String vertxLine = "javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate";
    assertThat(filter.decide(null, connection, Level.ERROR, vertxLine, null, null)).isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, connection, Level.ERROR, vertxLine, null, null)).isEqualTo(FilterReply.DENY);
    assertThat(TlsRejectFilter.refusedByMember() - before).isEqualTo(2);
    assertThat(lines.list).hasSize(1);
    assertThat(lines.list.get(0).getFormattedMessage()).contains("refused this node's certificate")
        .contains("bad_certificate");
  }

  private FilterReply failedConnect(String nodeId, Throwable cause) {
    return filter.decide(null, eventBus, Level.WARN, "Connecting to server " + nodeId + " failed", null, cause);
  }
}
