package chatworker.tls;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Counts the event bus's failed TLS handshakes and logs them as one line per peer per minute, in place
 * of Vert.x's own: a multi-line stack trace at every connection attempt, and with a rogue member that
 * registers consumers, one attempt per burst of sends (docs/SECURITY.md).
 *
 * <p>A log filter because Vert.x 5.0.7 offers no other hook: the event bus's server has no exception
 * handler, its connection metrics start after the handshake, and custom trust managers do not survive
 * its options' JSON copy. So what is seen here is what Vert.x logs: (1) this node's connection to a
 * member failed in TLS ({@code ClusteredEventBus}: "Connecting to server &lt;nodeId&gt; failed" with an
 * {@link SSLException}: the member's certificate was refused, or it does not speak TLS) and (2) a peer
 * refused this node's certificate after the handshake ({@code ConnectionBase}, TLS 1.3's late alert).
 * A member whose inbound handshake this node refuses is not seen: Vert.x drops it without a word, and
 * no message from it is delivered. A connection that fails without TLS (a member gone) passes through.
 */
public final class TlsRejectFilter extends TurboFilter {

  static final String EVENT_BUS_LOGGER = "io.vertx.core.eventbus.impl.clustered.ClusteredEventBus";
  static final String CONNECTION_LOGGER = "io.vertx.core.net.impl.ConnectionBase";
  private static final String CONNECTING = "Connecting to server ";
  private static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final int MAX_PEERS = 1_024;
  private static final AtomicLong refusedByNode = new AtomicLong();
  private static final AtomicLong refusedByMember = new AtomicLong();
  private static final org.slf4j.Logger log = LoggerFactory.getLogger("chatworker.tls");

  private final LongSupplier nanoClock;
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();

  /** When a peer's last line was written, and the failures since. */
  private static final class Peer {
    long loggedAt;
    long since;
  }

  TlsRejectFilter(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  /** Adds the filter to logback once; does nothing when SLF4J is bound to another backend. */
  public static synchronized void install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
        && context.getTurboFilterList().stream().noneMatch(TlsRejectFilter.class::isInstance)) {
      TlsRejectFilter filter = new TlsRejectFilter(System::nanoTime);
      filter.setName("event-bus TLS rejections");
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  /** Handshakes with a member that failed on this node's side (its certificate refused, or no TLS). */
  public static long refusedByNode() {
    return refusedByNode.get();
  }

  /** Connections on which a peer refused this node's certificate. */
  public static long refusedByMember() {
    return refusedByMember.get();
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
      Throwable t) {
    if (format == null || level == null || !level.isGreaterOrEqual(Level.WARN)) {
      return FilterReply.NEUTRAL; // also Vert.x's isWarnEnabled() probe, which must stay true
    }
    String name = logger.getName();
    SSLException ssl = sslCause(t);
    if (EVENT_BUS_LOGGER.equals(name) && format.startsWith(CONNECTING) && ssl != null) {
      refusedByNode.incrementAndGet();
      String member = format.substring(CONNECTING.length()).replace(" failed", "");
      report(member, "event bus: TLS handshake with member {} failed, nothing is sent to it"
          + " ({} failures since the last such line): {}", ssl);
      return FilterReply.DENY;
    }
    if (CONNECTION_LOGGER.equals(name) && (ssl != null || format.contains("SSLHandshakeException"))) {
      refusedByMember.incrementAndGet();
      report("a peer", "TLS: {} refused this node's certificate ({} refusals since the last such line): {}",
          ssl != null ? ssl : format);
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }

  private void report(String peer, String line, Object why) {
    if (peers.size() > MAX_PEERS) {
      peers.clear(); // ids of members long gone; at worst one more line each
    }
    long now = nanoClock.getAsLong();
    Peer state = peers.computeIfAbsent(peer, p -> new Peer());
    boolean due;
    long since;
    synchronized (state) {
      state.since++;
      due = state.loggedAt == 0 || now - state.loggedAt >= INTERVAL_NANOS;
      since = state.since;
      if (due) {
        state.loggedAt = now == 0 ? 1 : now;
        state.since = 0;
      }
    }
    if (due) {
      log.warn(line, peer, since, why instanceof Throwable e ? rootMessage(e) : why);
    }
  }

  private static SSLException sslCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SSLException ssl) {
        return ssl;
      }
    }
    return null;
  }

  /** The deepest cause's class and message: "PKIX path building failed", "handshake timed out"… */
  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
