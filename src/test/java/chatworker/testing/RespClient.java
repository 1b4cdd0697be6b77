package chatworker.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A tiny blocking RESP2 client for test fixtures: admin commands, and raw connections whose fate a
 * test wants to watch (killed, reset, black-holed). Not thread-safe; one caller at a time.
 *
 * <p>Replies come back as text: simple strings, bulk strings and integers as they are, a nil bulk
 * string as {@code null}, arrays as their elements joined by newlines. An error reply is thrown as
 * {@link ErrorReply}; a closed connection as {@link EOFException}.
 */
public final class RespClient implements Closeable {

  /** Connect timeout and the default read timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RespClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Opens a plain TCP connection to {@code host:port}. */
  public static RespClient connect(String host, int port) throws IOException {
    return connect(host, port, null);
  }

  /**
   * Opens a connection to {@code host:port}, over TLS when {@code tls} is not null (with host name
   * verification against {@code host}).
   */
  public static RespClient connect(String host, int port, SSLContext tls) throws IOException {
    Socket plain = new Socket();
    try {
      plain.setTcpNoDelay(true);
      plain.connect(new InetSocketAddress(host, port), (int) DEFAULT_TIMEOUT.toMillis());
      plain.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
      if (tls == null) {
        return new RespClient(plain);
      }
      SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
      SSLParameters params = secure.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      secure.setSSLParameters(params);
      secure.startHandshake();
      return new RespClient(secure);
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /** Sends one command and returns its reply (see the class comment for the text form). */
  public String command(String... args) throws IOException {
    send(args);
    return read();
  }

  /** Sends one command without waiting for its reply: pipeline several, then {@link #read()} each. */
  public void send(String... args) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    writeLine(buf, "*" + args.length);
    for (String arg : args) {
      byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
      writeLine(buf, "$" + bytes.length);
      buf.write(bytes);
      buf.write('\r');
      buf.write('\n');
    }
    out.write(buf.toByteArray());
    out.flush();
  }

  /** Reads the next reply. */
  public String read() throws IOException {
    String line = readLine();
    if (line.isEmpty()) {
      throw new IOException("Empty RESP reply line");
    }
    String rest = line.substring(1);
    switch (line.charAt(0)) {
      case '+':
      case ':':
        return rest;
      case '-':
        throw new ErrorReply(rest);
      case '$':
        return readBulk(Integer.parseInt(rest));
      case '*':
        return readArray(Integer.parseInt(rest));
      default:
        throw new IOException("Unexpected RESP reply: " + line);
    }
  }

  /** Changes how long a read waits before failing with {@link java.net.SocketTimeoutException}. */
  public RespClient readTimeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    return this;
  }

  /** The underlying socket, for tests that check its state. */
  public Socket socket() {
    return socket;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private String readBulk(int length) throws IOException {
    if (length < 0) {
      return null;
    }
    byte[] bytes = in.readNBytes(length + 2);
    if (bytes.length < length + 2) {
      throw new EOFException("Connection closed inside a bulk string");
    }
    return new String(bytes, 0, length, StandardCharsets.UTF_8);
  }

  private String readArray(int count) throws IOException {
    if (count < 0) {
      return null;
    }
    List<String> items = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String item = read();
      items.add(item == null ? "" : item);
    }
    return String.join("\n", items);
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("Connection closed by the server");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
      }
      line.write(b);
    }
  }

  private static void writeLine(ByteArrayOutputStream buf, String line) {
    buf.writeBytes(line.getBytes(StandardCharsets.US_ASCII));
    buf.write('\r');
    buf.write('\n');
  }

  /** An error reply from Redis ({@code -ERR …}, {@code -WRONGPASS …}); the message is its text. */
  public static final class ErrorReply extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception for the error text {@code message}. */
    public ErrorReply(String message) {
      super(message);
    }
  }
}
