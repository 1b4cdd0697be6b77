package chatworker.cli;

import chatworker.api.ErrorCode;

/** The {@code submit} command's exit codes: one per contract error code, documented in the README. */
public final class ExitCodes {

  public static final int OK = 0;
  /** Bad command line (picocli's own code). */
  public static final int USAGE = 2;
  /** The request got no answer at all, even after resending it with the same jobId. */
  public static final int NO_ANSWER = 20;
  /** Could not join the cluster or read the configuration. */
  public static final int SETUP = 21;
  /** {@code --http}: the node wants an API key and this was none of its keys (401 UNAUTHORIZED). */
  public static final int UNAUTHORIZED = 22;

  private ExitCodes() {}

  /**
   * 10 + the code's position: INVALID_REQUEST 10, NOT_FOUND 11, … INTERNAL 19; UNAUTHORIZED, which came
   * later (HTTP only) and would land on NO_ANSWER's 20, is {@link #UNAUTHORIZED}.
   */
  public static int of(ErrorCode code) {
    return code == ErrorCode.UNAUTHORIZED ? UNAUTHORIZED : 10 + code.ordinal();
  }
}
