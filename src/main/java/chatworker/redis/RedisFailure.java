package chatworker.redis;

/**
 * Why a call through {@link ResilientRedis} failed. Callers map {@link Kind#TIMEOUT} to a timeout and
 * {@link Kind#COMMAND_ERROR} to whatever the command's error means; every other kind means Redis could
 * not serve the call (the contract's {@code STORE_UNAVAILABLE}).
 */
public final class RedisFailure extends RuntimeException {

  /** The failure's kind, also the label it is counted under. */
  public enum Kind {
    /** The breaker is open: Redis failed repeatedly, calls fail fast until a probe succeeds. */
    BREAKER_OPEN,
    /** Every connection already carries its maximum of in-flight commands. */
    QUEUE_FULL,
    /** No connection to Redis is up (never sent, so always safe to retry). */
    NOT_CONNECTED,
    /** The connection broke while the command was in flight: its outcome is unknown. */
    CONNECTION_LOST,
    /** The call's deadline passed, or a command outlived the command timeout. */
    TIMEOUT,
    /** Redis answered with an error (WRONGTYPE, OOM, NOSCRIPT…): Redis itself is fine. */
    COMMAND_ERROR,
    /** The layer is closing or closed. */
    CLOSED,
    /**
     * The master holds the write, but fewer replicas than {@code redis.durability.replicas} confirmed
     * it in time: it could be lost with the master, so it is not acknowledged.
     */
    NOT_REPLICATED
  }

  private final Kind kind;
  private final boolean outage;

  RedisFailure(Kind kind, String message, boolean outage, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
    this.outage = outage;
  }

  static RedisFailure of(Kind kind, String message) {
    return new RedisFailure(kind, message, false, null);
  }

  public Kind kind() {
    return kind;
  }

  /**
   * True when the call failed because Redis was unreachable, hung or dropped the connection: what the
   * circuit breaker counts. A command error, a full queue or a caller's own short deadline are not.
   */
  public boolean outage() {
    return outage;
  }

  RedisFailure notOutage() {
    return outage ? new RedisFailure(kind, getMessage(), false, getCause()) : this;
  }

  RedisFailure asOutage() {
    return outage ? this : new RedisFailure(kind, getMessage(), true, getCause());
  }
}
