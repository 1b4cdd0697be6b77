package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for test servers, below the kernel's ephemeral range (32768 and up on Linux):
 * a server killed and started again on its port finds it free, because no outgoing connection of
 * another process can have been given it meanwhile (a chaos run once lost a node's restart so).
 */
public final class LocalPorts {

  private static final int LOWEST = 20_000;
  private static final int BELOW_EPHEMERAL = 32_768;

  private LocalPorts() {
  }

  /** A port free on {@code host} right now (another process may still take it before we bind). */
  public static int free(String host) {
    return freeBelow(host, BELOW_EPHEMERAL);
  }

  private static int freeBelow(String host, int limit) {
    for (int attempt = 0; attempt < 1_000; attempt++) {
      int port = LOWEST + ThreadLocalRandom.current().nextInt(limit - LOWEST);
      if (isFree(host, port)) {
        return port;
      }
    }
    throw new UncheckedIOException(new IOException("No free port on " + host + " in " + LOWEST + ".." + limit));
  }

  /**
   * A port free on {@code host} whose companion {@code port + offset} is free too and valid, e.g. a
   * Redis Cluster node's bus port (Redis 6.2 has no option to choose it).
   */
  static int freeWithOffset(String host, int offset) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = freeBelow(host, BELOW_EPHEMERAL - offset); // the companion stays below the range too
      if (isFree(host, port + offset)) {
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
