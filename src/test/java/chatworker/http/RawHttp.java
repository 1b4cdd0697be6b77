package chatworker.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for what the HTTP clients will not do: send a Content-Length that the
 * body does not have, or leave a response unread (nothing is read until {@link #readResponse}), with a
 * receive buffer as small as the kernel allows, so that what the test does not read stays with the server.
 */
final class RawHttp implements AutoCloseable {

  /**
   * A response as read; {@code complete}: it came whole (its Content-Length, or its last chunk), rather
   * than the connection ending first.
   */
  record Response(int status, Map<String, String> headers, String body, boolean complete) {}

  private static final int READ_TIMEOUT_MS = 15_000;

  private final Socket socket = new Socket();
  private final InputStream in;

  /**
   * @param receiveBufferBytes SO_RCVBUF, set before connecting so that the TCP window stays that small;
   *                           -1 for the kernel's
   */
  RawHttp(int port, int receiveBufferBytes) {
    try {
      if (receiveBufferBytes > 0) {
        socket.setReceiveBufferSize(receiveBufferBytes);
      }
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(READ_TIMEOUT_MS); // a response that never comes fails the test
      in = new BufferedInputStream(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code head} (request line and headers, no blank line), a blank line, then {@code body}. */
  void send(String head, String body) {
    try {
      socket.getOutputStream().write((head + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A POST of a JSON body with its true Content-Length. */
  void postJson(String path, String body) {
    send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length, body);
  }

  /** Reads one response: its head, then its body (by Content-Length or chunked) until whole or cut. */
  Response readResponse() {
    try {
      String statusLine = line();
      if (statusLine == null) {
        throw new AssertionError("the connection ended before a response");
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new TreeMap<>();
      for (String header = line(); !header.isEmpty(); header = line()) {
        int colon = header.indexOf(':');
        headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            header.substring(colon + 1).trim());
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean complete;
      try {
        complete = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? readChunks(body)
            : readLength(body, Integer.parseInt(headers.getOrDefault("content-length", "0")));
      } catch (SocketException reset) {
        complete = false; // the server closed (reset) the connection mid-body
      }
      return new Response(status, headers, body.toString(StandardCharsets.UTF_8), complete);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("neither a whole response nor the connection's end within "
          + READ_TIMEOUT_MS + " ms", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean readLength(ByteArrayOutputStream body, int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    body.write(bytes);
    return bytes.length == length;
  }

  private boolean readChunks(ByteArrayOutputStream body) throws IOException {
    while (true) {
      String size = line();
      if (size == null || size.isEmpty()) {
        return false; // the connection ended between chunks
      }
      int length = Integer.parseInt(size.split(";")[0].trim(), 16);
      if (length == 0) {
        line(); // the blank line after the last chunk (no trailers)
        return true;
      }
      if (!readLength(body, length)) {
        return false;
      }
      line(); // CRLF after the chunk's data
    }
  }

  /** A CRLF-ended line without its end; null when the connection ended first. */
  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
