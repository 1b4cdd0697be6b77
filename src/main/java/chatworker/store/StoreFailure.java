package chatworker.store;

/**
 * Why a store call failed to reach a verdict: Redis could not serve it. It is the only failure a store
 * hands up for a Redis problem (an argument the store refuses is an {@code IllegalArgumentException},
 * a caller's bug), so the classes above the store never see the Redis layer's own types; the
 * translation is {@link Guard#translate}'s. What Redis says about the domain is never a failure but a
 * value (null, or an outcome record).
 */
public final class StoreFailure extends RuntimeException {

  /** What went wrong, as much as a caller needs to decide what to answer. */
  public enum Kind {
    /**
     * Redis could not be reached or could not take the call: not connected, connection lost with the
     * call in flight (its outcome unknown), circuit breaker open, queue full, layer closed.
     */
    UNAVAILABLE,
    /** The call's deadline passed, or Redis did not answer within the command timeout. */
    TIMEOUT,
    /** Redis answered with an error (OOM, READONLY, WRONGTYPE…): it is up, but did not do it. */
    REFUSED
  }

  private final Kind kind;

  StoreFailure(Kind kind, String message, Throwable cause) {
    // No stack: the failure is expected when Redis is in trouble, and the message says what happened.
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** True for {@link Kind#TIMEOUT}. */
  public boolean timedOut() {
    return kind == Kind.TIMEOUT;
  }
}
