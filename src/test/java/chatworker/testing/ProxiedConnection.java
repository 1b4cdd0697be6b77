package chatworker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One client connection of a {@link FaultProxy} and its upstream connection. Each direction has a
 * reader that stamps every chunk with its delivery time and a writer that delivers chunks in order
 * when due, so latency never reorders bytes. An end of stream on either side is delivered after the
 * chunks before it, then both sockets close.
 */
final class ProxiedConnection {

  private static final Chunk END = new Chunk(null, 0);
  private static final long HELD_POLL_NANOS = 1_000_000;

  private final FaultProxy proxy;
  private final Socket client;
  private final Socket upstream;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final List<Thread> threads = new ArrayList<>();

  ProxiedConnection(FaultProxy proxy, Socket client, Socket upstream) {
    this.proxy = proxy;
    this.client = client;
    this.upstream = upstream;
    pump(client, upstream, "up");
    pump(upstream, client, "down");
  }

  synchronized void start() {
    if (!closed.get()) {
      threads.forEach(Thread::start);
    }
  }

  /** Closes both sockets with a TCP RST (linger 0) instead of a FIN. */
  void reset() {
    for (Socket socket : List.of(client, upstream)) {
      try {
        socket.setSoLinger(true, 0);
      } catch (IOException ignored) {
        // already closed
      }
    }
    close();
  }

  /** Closes both sockets and stops the threads; safe to call more than once. */
  void close() {
    if (closed.compareAndSet(false, true)) {
      FaultProxy.closeQuietly(client);
      FaultProxy.closeQuietly(upstream);
      synchronized (this) {
        threads.forEach(Thread::interrupt);
      }
      proxy.forget(this);
    }
  }

  private void pump(Socket from, Socket to, String direction) {
    BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    String name = "fault-proxy-" + from.getPort() + "-" + to.getPort() + "-" + direction;
    threads.add(daemon(() -> read(from, queue), name + "-read"));
    boolean replies = to == client;
    threads.add(daemon(() -> write(queue, to, replies), name + "-write"));
  }

  private void read(Socket from, BlockingQueue<Chunk> queue) {
    byte[] buffer = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        if (!proxy.blackholed()) {
          queue.add(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + proxy.latencyNanos()));
        }
      }
      queue.add(END);
    } catch (IOException e) {
      close(); // reset, or closed by us
    }
  }

  private void write(BlockingQueue<Chunk> queue, Socket to, boolean replies) {
    try {
      OutputStream out = to.getOutputStream();
      while (true) {
        Chunk chunk = queue.take();
        if (chunk == END) {
          close();
          return;
        }
        long wait;
        while ((wait = chunk.deliverAtNanos() - System.nanoTime()) > 0
            || (replies && proxy.repliesHeld() && (wait = HELD_POLL_NANOS) > 0)) {
          LockSupport.parkNanos(wait);
          if (Thread.interrupted()) {
            return;
          }
        }
        if (!proxy.blackholed()) {
          out.write(chunk.data());
          out.flush();
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (IOException e) {
      close();
    }
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  private record Chunk(byte[] data, long deliverAtNanos) {
  }
}
