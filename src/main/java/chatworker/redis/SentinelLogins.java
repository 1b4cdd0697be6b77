package chatworker.redis;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which sentinels the layer's own sentinel connections ({@link TopologyWatch}'s polls,
 * {@link SentinelEvents}' subscriptions) may be opened to now. The client logs into the sentinels with
 * the URL's credentials, as into the data nodes. A sentinel that refuses them is left alone for
 * {@code authRetryDelayMs}, as the held connections are ({@link ConnectionSlot}): the client leaks a
 * socket per refused handshake (upstream #555), and these connections would otherwise be tried again
 * on every poll, every 2 s. Each refusal is logged once, naming the sentinel, never the credentials.
 * Used on the layer's context only.
 */
final class SentinelLogins {

  private static final Logger log = LoggerFactory.getLogger(ResilientRedis.class);

  private final List<String> sentinels;
  private final long retryDelayMs;
  /** Per sentinel: when it last refused the credentials (nanoTime); valid while {@link #refused} is set. */
  private final long[] refusedAtNanos;
  private final boolean[] refused;
  /** Per sentinel: its last exchange failed for another reason (down, TLS, timeout); logged once a streak. */
  private final boolean[] unreachable;

  /** {@code sentinels}: their URLs, as configured (only their host and port are ever printed). */
  SentinelLogins(List<String> sentinels, long retryDelayMs) {
    this.sentinels = sentinels.stream().map(RedisSettings::redact).toList();
    this.retryDelayMs = retryDelayMs;
    this.refusedAtNanos = new long[sentinels.size()];
    this.refused = new boolean[sentinels.size()];
    this.unreachable = new boolean[sentinels.size()];
  }

  /** Whether a connection to sentinel {@code i} may be opened now. */
  boolean mayAsk(int i) {
    return !refused[i] || System.nanoTime() - refusedAtNanos[i] >= retryDelayMs * 1_000_000L;
  }

  /** Notes how an exchange with sentinel {@code i} ended: {@code failure} null when it answered. */
  void ended(int i, Throwable failure) {
    if (failure == null) {
      if (refused[i]) {
        log.info("Redis sentinel {} accepted the configured credentials again", sentinels.get(i));
      } else if (unreachable[i]) {
        log.info("Redis sentinel {} answers again", sentinels.get(i));
      }
      refused[i] = false;
      unreachable[i] = false;
      return;
    }
    String reason = RedisErrors.oneLine(failure.getMessage());
    if (!RedisErrors.authRefused(reason)) {
      // Down, slow or a TLS mismatch: asked again on the next poll. Said once, or a sentinel that
      // cannot be reached (no failover fence, no topology on /status) would go unnoticed.
      if (!unreachable[i]) {
        log.warn("Redis sentinel {} could not be asked ({}); asking it again on every poll", sentinels.get(i), reason);
      }
      unreachable[i] = true;
      return;
    }
    if (!refused[i]) {
      log.warn("Redis sentinel {} refused the configured credentials ({}); the URL's credentials are also "
          + "those the sentinels are logged into with; asking it again every {} ms", sentinels.get(i), reason,
          retryDelayMs);
    }
    refused[i] = true;
    refusedAtNanos[i] = System.nanoTime();
  }
}
