package chatworker.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A Redis Cluster on loopback: three masters with one replica each, six append-only
 * {@link RedisServer}s (node timeout 1 s), built with CLUSTER commands only, as redis-cli may be missing.
 *
 * <p>Each operation returns once every running node reports {@code cluster_state:ok} and all agree on
 * the roles and the slot map (see {@link ClusterView#consensus()}). Paused nodes are left out of that
 * agreement. Blocking: for the test thread, never a Vert.x event loop.
 */
public final class ClusterTopology implements AutoCloseable {

  private static final int SLOTS = 16384;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final RedisServer.Options NODE = RedisServer.Options.defaults().withAppendOnly(true)
      .withArg("cluster-enabled", "yes")
      .withArg("cluster-config-file", "nodes.conf") // in the data dir, so a restart keeps the node's identity
      .withArg("cluster-node-timeout", "1000")
      .withArg("cluster-replica-validity-factor", "0") // a replica may always be promoted
      .withArg("cluster-allow-replica-migration", "no") // replicas stay where the test put them
      .withArg("repl-diskless-sync-delay", "0"); // Redis 7 would wait 5 s before syncing a replica

  private final List<RedisServer> nodes = new ArrayList<>();

  private ClusterTopology() {
  }

  /** Starts six nodes and joins them; returns once the cluster is ok everywhere and replicas are in sync. */
  public static ClusterTopology start() {
    ClusterTopology cluster = new ClusterTopology();
    try {
      for (int i = 0; i < 6; i++) {
        cluster.nodes.add(RedisServer.start(NODE));
      }
      cluster.join();
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** The URLs of all six nodes, comma-separated. */
  public String seedUrls() {
    return nodes.stream().map(RedisServer::url).collect(Collectors.joining(","));
  }

  /** The nodes that serve slots now. */
  public List<RedisServer> masters() {
    ClusterView view = view();
    return nodes.stream()
        .filter(n -> view.byPort(n.port()).filter(v -> v.isMaster() && !v.slots().isEmpty()).isPresent())
        .toList();
  }

  /** The nodes that replicate a master now (a killed master is neither this nor a master until restarted). */
  public List<RedisServer> replicas() {
    ClusterView view = view();
    return nodes.stream()
        .filter(n -> view.byPort(n.port()).filter(ClusterView.Node::isReplica).isPresent())
        .toList();
  }

  /** All six nodes, running or not. */
  public List<RedisServer> nodes() {
    return List.copyOf(nodes);
  }

  /** The hash slot of {@code key} ({@code CLUSTER KEYSLOT}). */
  public int slotOf(String key) {
    return Integer.parseInt(anyLiveNode().command("CLUSTER", "KEYSLOT", key));
  }

  /** The master that serves {@code key}'s slot now. */
  public RedisServer masterOf(String key) {
    return ownerOf(slotOf(key));
  }

  /**
   * {@code CLUSTER FAILOVER} on the replica of {@code master}; returns that replica once it serves the
   * old master's slots in every node's view and the old master replicates from it.
   */
  public RedisServer failover(RedisServer master) {
    ClusterView.Node old = viewOf(master);
    RedisServer promoted = replicaOf(old);
    promoted.command("CLUSTER", "FAILOVER");
    awaitSettled(() -> serves(promoted, old.slots()) && master.isReplicaOf(promoted),
        "port " + promoted.port() + " to take over the slots of port " + master.port());
    return promoted;
  }

  /** SIGKILL of {@code master}; returns its replica once the cluster has promoted it and is ok again. */
  public RedisServer killMaster(RedisServer master) {
    ClusterView.Node old = viewOf(master);
    RedisServer promoted = replicaOf(old);
    master.kill();
    awaitSettled(() -> serves(promoted, old.slots()),
        "port " + promoted.port() + " to be promoted in place of the killed port " + master.port());
    return promoted;
  }

  /**
   * Starts a killed node again with its port, data dir and nodes.conf; returns once it has rejoined as
   * the replica of the master that now serves its old slots, in sync, and the cluster is ok.
   */
  public void restart(RedisServer killed) {
    killed.restart();
    awaitSettled(() -> viewOf(killed).isReplica() && killed.isReplicaOf(node(viewOf(killed).masterId())),
        "the restarted port " + killed.port() + " to rejoin as a replica");
  }

  /**
   * Moves {@code slot} with its keys to the master {@code to}, as {@code redis-cli --cluster reshard}
   * does: IMPORTING on the target, MIGRATING on the source, MIGRATE in batches, then SETSLOT NODE on
   * every master. Returns once every node agrees that {@code to} serves it.
   */
  public void moveSlot(int slot, RedisServer to) {
    RedisServer from = ownerOf(slot);
    if (from == to) {
      return;
    }
    String fromId = viewOf(from).id();
    String toId = viewOf(to).id();
    String slotArg = Integer.toString(slot);
    to.command("CLUSTER", "SETSLOT", slotArg, "IMPORTING", fromId);
    from.command("CLUSTER", "SETSLOT", slotArg, "MIGRATING", toId);
    for (String keys; !(keys = from.command("CLUSTER", "GETKEYSINSLOT", slotArg, "100")).isEmpty(); ) {
      List<String> migrate = new ArrayList<>(
          List.of("MIGRATE", to.host(), Integer.toString(to.port()), "", "0", "10000", "KEYS"));
      migrate.addAll(keys.lines().toList());
      from.command(migrate.toArray(String[]::new));
    }
    // The target first, so that it serves the slot before the source starts redirecting to it.
    to.command("CLUSTER", "SETSLOT", slotArg, "NODE", toId);
    from.command("CLUSTER", "SETSLOT", slotArg, "NODE", toId);
    masters().stream().filter(m -> m != to && m != from && isLive(m))
        .forEach(m -> m.command("CLUSTER", "SETSLOT", slotArg, "NODE", toId));
    awaitSettled(() -> ownerOf(slot) == to, "port " + to.port() + " to serve slot " + slot);
  }

  /** {@link #moveSlot} for the slot of each key. */
  public void moveSlotsOf(Collection<String> keys, RedisServer to) {
    keys.stream().map(this::slotOf).distinct().forEach(slot -> moveSlot(slot, to));
  }

  /** Kills every node and deletes its data dir. */
  @Override
  public void close() {
    nodes.forEach(RedisServer::close);
  }

  /** Introduces the nodes, gives each master a third of the slots and each a replica, then waits. */
  private void join() {
    for (int i = 0; i < nodes.size(); i++) {
      // Distinct epochs, as redis-cli sets them, so the masters need not first settle a collision.
      nodes.get(i).command("CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
    }
    RedisServer first = nodes.get(0);
    for (RedisServer other : nodes.subList(1, nodes.size())) {
      first.command("CLUSTER", "MEET", other.host(), Integer.toString(other.port()));
    }
    Await.until(() -> nodes.stream().map(ClusterTopology::viewFrom)
        .allMatch(v -> v.nodes().size() == 6 && !v.inHandshake()),
        TIMEOUT, "all six nodes to know each other");
    for (int m = 0; m < 3; m++) {
      // ADDSLOTSRANGE would be shorter, but Redis 6.2 lacks it.
      List<String> addSlots = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
      for (int slot = m * SLOTS / 3; slot < (m + 1) * SLOTS / 3; slot++) {
        addSlots.add(Integer.toString(slot));
      }
      nodes.get(m).command(addSlots.toArray(String[]::new));
      nodes.get(m + 3).command("CLUSTER", "REPLICATE", nodes.get(m).command("CLUSTER", "MYID"));
    }
    awaitSettled(() -> IntStream.range(0, 3).allMatch(m -> nodes.get(m + 3).isReplicaOf(nodes.get(m))),
        "the cluster to form with a replica in sync for each master");
  }

  /**
   * Waits until {@code condition} holds, every live node is ok and all share one view. A node that
   * answers LOADING (a restarted one reading its data back) is not settled yet.
   */
  private void awaitSettled(BooleanSupplier condition, String what) {
    Await.until(() -> {
      try {
        return settled() && condition.getAsBoolean();
      } catch (RespClient.ErrorReply e) {
        if (String.valueOf(e.getMessage()).startsWith("LOADING")) {
          return false;
        }
        throw e;
      }
    }, TIMEOUT, what + ", the cluster ok and agreed");
  }

  private boolean settled() {
    List<RedisServer> live = nodes.stream().filter(ClusterTopology::isLive).toList();
    return live.stream().allMatch(n -> n.command("CLUSTER", "INFO").contains("cluster_state:ok"))
        && live.stream().map(n -> viewFrom(n).consensus()).distinct().count() == 1;
  }

  private boolean serves(RedisServer node, List<String> slots) {
    ClusterView.Node seen = viewOf(node);
    return seen.isMaster() && seen.slots().equals(slots);
  }

  private RedisServer replicaOf(ClusterView.Node master) {
    return view().nodes().stream().filter(n -> n.isReplica() && n.masterId().equals(master.id()))
        .map(n -> node(n.id())).filter(ClusterTopology::isLive).findFirst()
        .orElseThrow(() -> new IllegalStateException("No live replica of port " + master.port()));
  }

  private RedisServer ownerOf(int slot) {
    ClusterView.Node owner = view().owner(slot)
        .orElseThrow(() -> new IllegalStateException("No master serves slot " + slot));
    return node(owner.id());
  }

  private ClusterView.Node viewOf(RedisServer node) {
    return view().byPort(node.port())
        .orElseThrow(() -> new IllegalStateException("Unknown port " + node.port()));
  }

  /** The cluster as the first live node sees it. */
  private ClusterView view() {
    return viewFrom(anyLiveNode());
  }

  private RedisServer node(String id) {
    int port = view().byId(id).orElseThrow(() -> new IllegalStateException("Unknown node " + id)).port();
    return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
  }

  private RedisServer anyLiveNode() {
    return nodes.stream().filter(ClusterTopology::isLive).findFirst()
        .orElseThrow(() -> new IllegalStateException("No live node"));
  }

  private static boolean isLive(RedisServer node) {
    return node.isRunning() && !node.isPaused();
  }

  private static ClusterView viewFrom(RedisServer node) {
    return ClusterView.parse(node.command("CLUSTER", "NODES"));
  }
}
