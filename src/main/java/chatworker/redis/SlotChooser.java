package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import io.vertx.redis.client.RedisConnection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Which connection a call goes to, and the in-flight bound: the connection on the caller's event loop
 * while it has room, else round robin; a call takes its places on the chosen connection or fails at
 * once ({@link Kind#QUEUE_FULL}, or {@link Kind#NOT_CONNECTED} when none is up). Ordinary calls leave
 * the last eighth of each connection's places to clean-up writes.
 *
 * <p>With durable writes ({@code redis.durability.replicas} ≥ 1), two connections or more and one
 * server to write to (standalone or sentinel), the last
 * connection is the durable lane: durable writes go there, and other calls only when every other
 * connection is down or full. A durable write's {@code WAIT} blocks the connection it is sent on, so on
 * a shared connection every job's start and read pipelined behind it waited for the replicas too; on
 * the lane only the durable writes queue behind a {@code WAIT}, and the next {@code WAIT} covers them
 * all. Thread-safe.
 */
final class SlotChooser {

  /** What a call is for: how full it may find a connection, and which connection it prefers. */
  enum Use {
    /** Reads and writes answered without waiting for replicas. */
    ORDINARY,
    /** Writes that free what others wait for: they may use the places ordinary calls leave free. */
    CLEAN_UP,
    /** Writes confirmed by replicas ({@code WAIT}): on the durable lane when there is one. */
    DURABLE
  }

  /** A chosen connection with its places taken, or why there is none. */
  record Pick(ConnectionSlot slot, RedisConnection connection, RedisFailure failure) {}

  private final List<ConnectionSlot> slots;
  /** The connections ordinary and clean-up calls prefer: all of them, or all but the durable lane. */
  private final List<ConnectionSlot> shared;
  /** The connection durable writes prefer, or null when they share the others. */
  private final ConnectionSlot durableLane;
  private final AtomicInteger nextSlot = new AtomicInteger();
  /** How full an ordinary call may find a connection: the bound less an eighth, kept for clean-up writes. */
  final int ordinaryLimit;
  /** How full a clean-up write may find a connection: the whole bound. */
  final int cleanUpLimit;
  private final BooleanSupplier authRejected;

  SlotChooser(List<ConnectionSlot> slots, RedisSettings settings, BooleanSupplier authRejected) {
    this.slots = List.copyOf(slots);
    // Not in cluster mode: there each durable write carries a WAIT of its own (ReplicaAcks), so a lane
    // would queue them all behind one another instead of coalescing them (measured: no gain, a worse p99).
    boolean lane = settings.durabilityReplicas() > 0 && settings.mode() != RedisMode.CLUSTER && slots.size() >= 2;
    this.durableLane = lane ? slots.get(slots.size() - 1) : null;
    this.shared = lane ? this.slots.subList(0, slots.size() - 1) : this.slots;
    this.cleanUpLimit = settings.maxInFlightPerConnection();
    this.ordinaryLimit = cleanUpLimit - cleanUpLimit / 8;
    this.authRejected = authRejected;
  }

  /** Picks a connection with room for a call of this {@code use}; reserves {@code cost} in-flight places on it. */
  Pick pick(int cost, Use use) {
    int limit = use == Use.CLEAN_UP ? cleanUpLimit : ordinaryLimit;
    Pick pick = null;
    if (use == Use.DURABLE) {
      pick = onLane(cost, limit);
    }
    if (pick == null) {
      pick = amongShared(cost, limit);
    }
    if (pick == null && use != Use.DURABLE) {
      pick = onLane(cost, limit);
    }
    if (pick != null) {
      return pick;
    }
    RedisFailure failure = connectionsUp() > 0
        ? RedisFailure.of(Kind.QUEUE_FULL, "Redis request queue is full (" + slots.size() * limit + " commands in flight)")
        : new RedisFailure(Kind.NOT_CONNECTED, authRejected.getAsBoolean()
            ? "Redis refused the configured credentials" : "no connection to Redis is up", true, null);
    return new Pick(null, null, failure);
  }

  private Pick onLane(int cost, int limit) {
    if (durableLane == null) {
      return null;
    }
    RedisConnection conn = durableLane.connection();
    return conn != null && durableLane.reserve(cost, limit) ? new Pick(durableLane, conn, null) : null;
  }

  /** The shared connection on the caller's event loop while it has room, else round robin; null when none has room. */
  private Pick amongShared(int cost, int limit) {
    for (ConnectionSlot slot : shared) {
      RedisConnection conn = slot.isLocal() ? slot.connection() : null;
      if (conn != null) {
        if (slot.reserve(cost, limit)) {
          return new Pick(slot, conn, null);
        }
        break;
      }
    }
    int size = shared.size();
    int start = Math.floorMod(nextSlot.getAndIncrement(), size);
    for (int i = 0; i < size; i++) {
      ConnectionSlot slot = shared.get((start + i) % size);
      RedisConnection conn = slot.connection();
      if (conn != null && slot.reserve(cost, limit)) {
        return new Pick(slot, conn, null);
      }
    }
    return null;
  }

  /** Redis refused the configured credentials on the last connect attempt. */
  boolean authRejected() {
    return authRejected.getAsBoolean();
  }

  /** The connections, in index order. */
  List<ConnectionSlot> slots() {
    return slots;
  }

  int connectionsUp() {
    int up = 0;
    for (ConnectionSlot slot : slots) {
      up += slot.connection() != null ? 1 : 0;
    }
    return up;
  }

  /** Commands waiting for a reply, over all connections. */
  int inFlight() {
    int inFlight = 0;
    for (ConnectionSlot slot : slots) {
      inFlight += slot.inFlight.get();
    }
    return inFlight;
  }

  /** The in-flight bound over all connections. */
  int maxInFlight() {
    return slots.size() * cleanUpLimit;
  }
}
