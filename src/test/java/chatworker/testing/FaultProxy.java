package chatworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a free loopback port for the network faults Redis cannot make itself: latency,
 * connection resets and a black hole (connections accepted, then nothing forwarded).
 *
 * <p>Plain blocking sockets with daemon threads: one acceptor, and per connection a reader and a
 * writer per direction joined by a delivery queue, which keeps chunks in order under latency.
 */
public final class FaultProxy implements AutoCloseable {

  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Thread acceptor;
  private final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();
  private volatile long latencyNanos;
  private volatile boolean blackholed;
  private volatile boolean repliesHeld;
  private volatile boolean closed;

  private FaultProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
    this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + server.getLocalPort());
    acceptor.setDaemon(true);
  }

  /** Starts a proxy to {@code host:port} on a free port of 127.0.0.1. */
  public static FaultProxy start(String host, int port) {
    try {
      ServerSocket server = new ServerSocket(0, 512, InetAddress.getByName(RedisServer.HOST));
      FaultProxy proxy = new FaultProxy(server, new InetSocketAddress(host, port));
      proxy.acceptor.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start a proxy to " + host + ":" + port, e);
    }
  }

  /** Starts a proxy in front of {@code redis}; use {@code redis.urlWithPort(proxy.port())} to connect. */
  public static FaultProxy startFor(RedisServer redis) {
    return start(redis.host(), redis.port());
  }

  public String host() {
    return RedisServer.HOST;
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code redis://127.0.0.1:PORT}; for TLS or credentials see {@link RedisServer#urlWithPort(int)}. */
  public String url() {
    return "redis://" + host() + ":" + port();
  }

  /** Delays every chunk forwarded from now on by {@code delay}, in both directions, keeping order. */
  public void latency(Duration delay) {
    latencyNanos = delay.toNanos();
  }

  /** Forwards nothing, either way, until {@link #heal()}; what arrives meanwhile is dropped. */
  public void blackhole() {
    blackholed = true;
  }

  /**
   * Holds back everything the server sends (requests still go through) until {@link #heal()}; with
   * {@link #resetAll()} before it, what was held is never delivered: answers that are lost for sure.
   */
  public void holdReplies() {
    repliesHeld = true;
  }

  /** Back to plain forwarding: no black hole, no latency, no held replies. */
  public void heal() {
    blackholed = false;
    latencyNanos = 0;
    repliesHeld = false;
  }

  /** Closes every current connection, on both sides, with a TCP RST. New connections still work. */
  public void resetAll() {
    List.copyOf(connections).forEach(ProxiedConnection::reset);
  }

  /** How many client connections are currently proxied. */
  public int openConnections() {
    return connections.size();
  }

  /** Stops accepting (new connections are refused on return) and closes every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
      // The JDK closes a listening socket for good only when the thread blocked in accept() has
      // left it; until then connects still succeed, so wait for the acceptor to finish.
      acceptor.join(CONNECT_TIMEOUT_MS);
    } catch (IOException ignored) {
      // closing anyway
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List.copyOf(connections).forEach(ProxiedConnection::close);
  }

  long latencyNanos() {
    return latencyNanos;
  }

  boolean blackholed() {
    return blackholed;
  }

  boolean repliesHeld() {
    return repliesHeld;
  }

  void forget(ProxiedConnection connection) {
    connections.remove(connection);
  }

  private void acceptLoop() {
    while (true) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (closed) {
        closeQuietly(client);
        return;
      }
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, CONNECT_TIMEOUT_MS);
      } catch (IOException e) {
        closeQuietly(upstream);
        closeQuietly(client); // upstream unreachable: the client sees its connection closed
        continue;
      }
      ProxiedConnection connection = new ProxiedConnection(this, client, upstream);
      connections.add(connection);
      connection.start();
    }
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }
}
