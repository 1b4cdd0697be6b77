package chatworker.cli;

/**
 * A node could not start; the message says what failed in one line an operator can act on
 * ({@code HTTP port 8080 on 127.0.0.1 is taken}). Everything the failed start had opened is closed by
 * the time this is thrown, so the process can exit without a stack trace.
 */
public final class NodeStartException extends RuntimeException {

  public NodeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
