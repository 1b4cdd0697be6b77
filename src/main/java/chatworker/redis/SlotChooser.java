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
 * the last eighth of each connection's places to clean-up writes. Thread-safe.
 */
final class SlotChooser {

  /** A chosen connection with its places taken, or why there is none. */
  record Pick(ConnectionSlot slot, RedisConnection connection, RedisFailure failure) {}

  private final List<ConnectionSlot> slots;
  private final AtomicInteger nextSlot = new AtomicInteger();
  /** How full an ordinary call may find a connection: the bound less an eighth, kept for clean-up writes. */
  final int ordinaryLimit;
  /** How full a clean-up write may find a connection: the whole bound. */
  final int cleanUpLimit;
  private final BooleanSupplier authRejected;

  SlotChooser(List<ConnectionSlot> slots, RedisSettings settings, BooleanSupplier authRejected) {
    this.slots = List.copyOf(slots);
    this.cleanUpLimit = settings.maxInFlightPerConnection();
    this.ordinaryLimit = cleanUpLimit - cleanUpLimit / 8;
    this.authRejected = authRejected;
  }

  /**
   * Picks a connection with room: the one on the caller's event loop if there is one, else round
   * robin; reserves {@code cost} in-flight places on it. {@code limit}: how full (in-flight commands)
   * a connection may be for this call to be sent on it.
   */
  Pick pick(int cost, int limit) {
    for (ConnectionSlot slot : slots) {
      RedisConnection conn = slot.isLocal() ? slot.connection() : null;
      if (conn != null) {
        if (slot.reserve(cost, limit)) {
          return new Pick(slot, conn, null);
        }
        break;
      }
    }
    int size = slots.size();
    int start = Math.floorMod(nextSlot.getAndIncrement(), size);
    boolean anyConnected = false;
    for (int i = 0; i < size; i++) {
      ConnectionSlot slot = slots.get((start + i) % size);
      RedisConnection conn = slot.connection();
      if (conn == null) {
        continue;
      }
      anyConnected = true;
      if (slot.reserve(cost, limit)) {
        return new Pick(slot, conn, null);
      }
    }
    RedisFailure failure = anyConnected
        ? RedisFailure.of(Kind.QUEUE_FULL, "Redis request queue is full (" + size * limit + " commands in flight)")
        : new RedisFailure(Kind.NOT_CONNECTED, authRejected.getAsBoolean()
            ? "Redis refused the configured credentials" : "no connection to Redis is up", true, null);
    return new Pick(null, null, failure);
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
