package chatworker.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Every log event of each test, from any thread, for tests that check what is logged (a secret never
 * is; a refusal is logged once). Register it with {@code @RegisterExtension}; it listens on the root
 * logger from before each test until after it.
 */
public final class CapturedLogs implements BeforeEachCallback, AfterEachCallback {

  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  @Override
  public void beforeEach(ExtensionContext context) {
    synchronized (appender) {
      appender.list.clear();
    }
    appender.start();
    root().addAppender(appender);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    root().detachAppender(appender);
    appender.stop();
  }

  /** The events so far, oldest first: a copy, safe to read while others are still logged. */
  public List<ILoggingEvent> events() {
    synchronized (appender) { // the appender adds under this lock
      return new ArrayList<>(appender.list);
    }
  }

  /** The formatted messages so far that contain {@code text}. */
  public List<String> containing(String text) {
    return events().stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
