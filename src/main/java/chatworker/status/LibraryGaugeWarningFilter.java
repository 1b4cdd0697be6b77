package chatworker.status;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Drops one log line that is noise, and only that one: Micrometer's warning {@code This Gauge has been
 * already registered (MeterId{name='vertx.…'})}, logged at every node start.
 *
 * <p>The cause is in vertx-micrometer-metrics 5.0.7, not in our meters: for each socket a Vert.x client
 * or server opens, it registers its connection gauge again (e.g. {@code vertx.net.client.active.connections}
 * at the Redis layer's second connection) and keeps the value in a counter shared by meter id, so the
 * numbers are right; Micrometer 1.13.9 and later warn at the first re-registration of any gauge
 * (vert-x3/vertx-micrometer-metrics#259, micrometer-metrics/micrometer#6931, both open). Nothing we
 * configure avoids it: every label choice still gives two sockets of one client the same id.
 *
 * <p>Only {@code vertx.*} meters are dropped: the same warning about one of our {@code chatworker.*}
 * meters would be a bug of ours and still shows. Micrometer warns once per JVM and logs later
 * re-registrations at debug level, so dropping the first one costs nothing else.
 */
final class LibraryGaugeWarningFilter extends TurboFilter {

  private static final String MICROMETER_LOGGER = "io.micrometer.core.instrument.MeterRegistry";
  private static final String VERTX_GAUGE_AGAIN = "has been already registered (MeterId{name='vertx.";

  /** Adds the filter to logback once; does nothing when SLF4J is bound to another backend. */
  static synchronized void install() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context
        && context.getTurboFilterList().stream().noneMatch(LibraryGaugeWarningFilter.class::isInstance)) {
      LibraryGaugeWarningFilter filter = new LibraryGaugeWarningFilter();
      filter.setName("vertx-micrometer gauge re-registration");
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
      Throwable t) {
    boolean noise = level == Level.WARN && format != null && MICROMETER_LOGGER.equals(logger.getName())
        && format.contains(VERTX_GAUGE_AGAIN);
    return noise ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
