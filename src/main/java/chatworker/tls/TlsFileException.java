package chatworker.tls;

/** A TLS file a node cannot use; the message says which file and why, in one line, without key material. */
public final class TlsFileException extends RuntimeException {

  public TlsFileException(String message) {
    super(message);
  }
}
