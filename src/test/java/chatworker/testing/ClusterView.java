package chatworker.testing;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One node's {@code CLUSTER NODES} reply, parsed: which nodes it knows, their roles, and which master
 * serves which slots. Lines look like
 * {@code <id> <ip:port@busport> <flags> <master id or -> <ping> <pong> <epoch> <link> <slots…>}.
 */
record ClusterView(List<Node> nodes) {

  /** A node as the viewer sees it; {@code slots} are ranges such as {@code 0-5460} or {@code 5461}. */
  record Node(String id, int port, Set<String> flags, String masterId, List<String> slots) {

    boolean isMaster() {
      return flags.contains("master");
    }

    boolean isReplica() {
      return flags.contains("slave");
    }

    boolean serves(int slot) {
      return slots.stream().anyMatch(range -> {
        String[] ends = range.split("-");
        int first = Integer.parseInt(ends[0]);
        int last = ends.length == 1 ? first : Integer.parseInt(ends[1]);
        return first <= slot && slot <= last;
      });
    }

    /**
     * What every node should say alike about this one: role, master, slots and an agreed failure.
     * Local opinions are left out: {@code myself}, a suspicion ({@code fail?}), pings, link state.
     */
    String consensus() {
      return id + " " + (isMaster() ? "master" : "replica") + (flags.contains("fail") ? ",fail" : "")
          + " " + masterId + " " + String.join(" ", slots);
    }
  }

  static ClusterView parse(String clusterNodes) {
    return new ClusterView(
        clusterNodes.lines().filter(line -> !line.isBlank()).map(ClusterView::parseLine).toList());
  }

  /** The master that serves {@code slot}, if any. */
  Optional<Node> owner(int slot) {
    return nodes.stream().filter(n -> n.isMaster() && n.serves(slot)).findFirst();
  }

  Optional<Node> byPort(int port) {
    return nodes.stream().filter(n -> n.port() == port).findFirst();
  }

  Optional<Node> byId(String id) {
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst();
  }

  /** Whether a node is still being introduced: its id is not final yet. */
  boolean inHandshake() {
    return nodes.stream().anyMatch(n -> n.flags().contains("handshake"));
  }

  /** The view as all nodes should share it once the cluster has settled (see {@link Node#consensus()}). */
  String consensus() {
    return nodes.stream().map(Node::consensus).sorted().collect(Collectors.joining("\n"));
  }

  private static Node parseLine(String line) {
    String[] fields = line.trim().split(" ");
    // ip:port@busport, and since Redis 7 maybe ",hostname" after it
    String address = fields[1].split("[@,]")[0];
    int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    Set<String> flags = Set.of(fields[2].split(","));
    // Slot entries in brackets are this node's own migrations in progress, not ownership.
    List<String> slots = Arrays.stream(fields).skip(8).filter(s -> !s.startsWith("[")).toList();
    return new Node(fields[0], port, flags, fields[3], slots);
  }
}
