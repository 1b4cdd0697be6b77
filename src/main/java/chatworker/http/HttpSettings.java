package chatworker.http;

import chatworker.tls.PemFiles;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The {@code http} section of the configuration: where the node's HTTP port listens and how its API
 * behaves. The one place these defaults live: every reader of that section goes through
 * {@link #fromJson}. Without API keys the port must be on loopback (shared/CONTRACT.md, "Keys").
 *
 * @param host              address to bind; loopback unless the operator says otherwise
 * @param port              port to bind; 0 picks a free one (the ready line prints the one bound)
 * @param apiKeys           the keys a request must carry ({@code CHATWORKER_API_KEYS}); none: no check
 * @param maxBodyBytes      a larger request body is refused (400) before it is read whole
 * @param requestTimeoutMs  how long a request other than a generate waits for the cluster's answer
 * @param streamBufferBytes SSE bytes a slow reader may leave unread before its stream ends with an error
 * @param tls               certificate and key: the port speaks HTTPS only; null: plain HTTP. HTTPS does
 *                          not lift the keys rule: it hides the traffic, it does not say who may call
 */
public record HttpSettings(String host, int port, ApiKeys apiKeys, int maxBodyBytes, long requestTimeoutMs,
    int streamBufferBytes, PemFiles tls) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  static final int DEFAULT_MAX_BODY_BYTES = 262_144;
  static final long DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
  static final int DEFAULT_STREAM_BUFFER_BYTES = 1_048_576;

  public HttpSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("http.host must not be empty");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("http.port must be 0..65535: " + port);
    }
    if (maxBodyBytes < 1_024) {
      throw new IllegalArgumentException("http.maxBodyBytes must be 1024 or more: " + maxBodyBytes);
    }
    if (requestTimeoutMs < 1) {
      throw new IllegalArgumentException("http.requestTimeoutMs must be positive: " + requestTimeoutMs);
    }
    if (streamBufferBytes < 1_024) {
      throw new IllegalArgumentException("http.streamBufferBytes must be 1024 or more: " + streamBufferBytes);
    }
    if (apiKeys.isEmpty() && !isLoopback(host)) {
      throw new IllegalArgumentException("http.host " + host + " is not a loopback address, and no API keys are set: "
          + "set CHATWORKER_API_KEYS (http.apiKeys) to serve the API beyond this machine");
    }
  }

  /** Loopback on the defaults: no keys. */
  public HttpSettings(String host, int port) {
    this(host, port, ApiKeys.NONE, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STREAM_BUFFER_BYTES,
        null);
  }

  public static HttpSettings fromJson(JsonObject http) {
    return new HttpSettings(http.getString("host", DEFAULT_HOST), http.getInteger("port", DEFAULT_PORT),
        ApiKeys.parse(http.getValue("apiKeys")), http.getInteger("maxBodyBytes", DEFAULT_MAX_BODY_BYTES),
        http.getLong("requestTimeoutMs", DEFAULT_REQUEST_TIMEOUT_MS),
        http.getInteger("streamBufferBytes", DEFAULT_STREAM_BUFFER_BYTES),
        PemFiles.fromJson(http.getJsonObject("tls"), "http.tls", false));
  }

  /** Whether the port speaks HTTPS. */
  public boolean https() {
    return tls != null;
  }

  /** {@code options} with HTTPS on when {@link #tls} is set (the server then refuses plain HTTP); returns them. */
  public HttpServerOptions applyTls(HttpServerOptions options) {
    return tls == null ? options : options.setSsl(true).setKeyCertOptions(tls.keyCertOptions());
  }

  /** {@code port P on H}, as a message names this endpoint. */
  public String describe() {
    return (https() ? "HTTPS" : "HTTP") + " port " + port + " on " + host;
  }

  /** A literal loopback address or {@code localhost}; a name is not looked up (no DNS at start). */
  static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?")) {
      return false;
    }
    try {
      return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
    } catch (UnknownHostException notAnAddress) {
      return false;
    }
  }
}
