package chatworker.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that gives a test class a throwaway {@link RedisServer}.
 *
 * <pre>{@code
 * @RegisterExtension
 * static RedisExtension redis = new RedisExtension();            // or new RedisExtension(options)
 * ... redis.server().url() ...
 * }</pre>
 *
 * <p>In a static field the server starts before all tests of the class and is closed after them; in
 * an instance field, one server per test. Before each test a server that a previous test stopped or
 * killed is restarted (same port and data dir; its data is not flushed). Servers and other resources
 * started through {@link #startExtra} and {@link #closeAfterwards} are closed with the main one.
 */
public final class RedisExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private final RedisServer.Options options;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private RedisServer server;
  private String ownerId;

  /** A server with {@link RedisServer.Options#defaults()}. */
  public RedisExtension() {
    this(RedisServer.Options.defaults());
  }

  /** A server with the given options. */
  public RedisExtension(RedisServer.Options options) {
    this.options = options;
  }

  /** The running server of this class (or test). */
  public synchronized RedisServer server() {
    if (server == null) {
      throw new IllegalStateException("No Redis server: register the extension with @RegisterExtension");
    }
    return server;
  }

  /** Starts another server, closed when this extension closes its main one. */
  public RedisServer startExtra(RedisServer.Options extraOptions) {
    return closeAfterwards(RedisServer.start(extraOptions));
  }

  /** Registers anything to close when this extension closes its main server, e.g. a {@link FaultProxy}. */
  public synchronized <T extends AutoCloseable> T closeAfterwards(T resource) {
    resources.add(resource);
    return resource;
  }

  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    startIfNone(context); // @Nested classes share the enclosing class's server
  }

  @Override
  public synchronized void beforeEach(ExtensionContext context) {
    if (!startIfNone(context) && !server.isRunning()) {
      server.restart();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    closeIfOwner(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    closeIfOwner(context);
  }

  private synchronized boolean startIfNone(ExtensionContext context) {
    if (server != null) {
      return false;
    }
    server = closeAfterwards(RedisServer.start(options));
    ownerId = context.getUniqueId();
    return true;
  }

  private void closeIfOwner(ExtensionContext context) throws Exception {
    synchronized (this) {
      if (!context.getUniqueId().equals(ownerId)) {
        return;
      }
    }
    closeAll();
  }

  /** Closes everything, newest first; the first failure is rethrown after all were tried. */
  private synchronized void closeAll() throws Exception {
    Exception failure = null;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    resources.clear();
    server = null;
    ownerId = null;
    if (failure != null) {
      throw failure;
    }
  }
}
