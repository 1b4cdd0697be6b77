package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;

/** Free loopback ports for test servers. */
final class LocalPorts {

  private LocalPorts() {
  }

  /** A port free on {@code host} right now (another process may still take it before we bind). */
  static int free(String host) {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + host, e);
    }
  }

  /**
   * A port free on {@code host} whose companion {@code port + offset} is free too and valid, e.g. a
   * Redis Cluster node's bus port (Redis 6.2 has no option to choose it).
   */
  static int freeWithOffset(String host, int offset) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = free(host);
      if (port + offset <= 65535 && isFree(host, port + offset)) {
        return port;
      }
    }
    throw new IllegalStateException("No free port pair " + offset + " apart on " + host);
  }

  /** Waits until {@code host:port} can be bound again, e.g. after the server on it exited. */
  static void awaitFree(String host, int port, Duration timeout) {
    Await.until(() -> isFree(host, port), timeout, "port " + port + " to be free");
  }

  private static boolean isFree(String host, int port) {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true); // as redis-server does, so TIME_WAIT does not count as busy
      probe.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
