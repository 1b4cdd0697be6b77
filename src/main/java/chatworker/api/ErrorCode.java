package chatworker.api;

/** The contract's failure codes: the {@code failureCode} of a reply failure and its {@code code} name. */
public enum ErrorCode {
  INVALID_REQUEST(400),
  NOT_FOUND(404),
  JOB_IN_PROGRESS(409),
  CHAT_LOCKED(423),
  OVERLOADED(429),
  CANCELLED(499),
  MODEL_ERROR(502),
  STORE_UNAVAILABLE(503),
  TIMEOUT(504),
  INTERNAL(500),
  /** HTTP only: no valid API key where keys are configured. */
  UNAUTHORIZED(401);

  private final int failureCode;

  ErrorCode(int failureCode) {
    this.failureCode = failureCode;
  }

  public int failureCode() {
    return failureCode;
  }

  /** The code for a failureCode, or null when it is none of ours (e.g. an event-bus timeout). */
  public static ErrorCode of(int failureCode) {
    for (ErrorCode code : values()) {
      if (code.failureCode == failureCode) {
        return code;
      }
    }
    return null;
  }
}
