package chatworker.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Free loopback ports for Hazelcast members: distinct, and free when picked. */
final class FreePorts {

  private FreePorts() {}

  /**
   * {@code count} distinct ports that were free on 127.0.0.1 a moment ago. All probes are held open
   * until the last one is bound, so the same port cannot come back twice; another process may still
   * take one before the member binds it, which on a test machine is rare enough to accept.
   */
  static List<Integer> loopback(int count) {
    List<ServerSocket> probes = new ArrayList<>();
    try {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket probe = new ServerSocket(0, 1, loopback);
        probes.add(probe);
        ports.add(probe.getLocalPort());
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    } finally {
      for (ServerSocket probe : probes) {
        try {
          probe.close();
        } catch (IOException ignored) {
          // a probe that cannot close holds nothing we need
        }
      }
    }
  }

  /** {@code host:port,host:port,…} on 127.0.0.1: a {@code cluster.members} value. */
  static String members(List<Integer> ports) {
    return String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
  }
}
