package chatworker.status;

import io.vertx.core.json.JsonObject;

/**
 * Where the node's HTTP endpoint listens, from the {@code http} section of the configuration. The one
 * place these defaults live: every reader of that section goes through {@link #fromJson}.
 *
 * @param host address to bind; loopback unless the operator says otherwise
 * @param port port to bind; 0 picks a free one (the ready line prints the one bound)
 */
public record HttpSettings(String host, int port) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;

  public HttpSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("http.host must not be empty");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("http.port must be 0..65535: " + port);
    }
  }

  public static HttpSettings fromJson(JsonObject http) {
    return new HttpSettings(http.getString("host", DEFAULT_HOST), http.getInteger("port", DEFAULT_PORT));
  }

  /** {@code port P on H}, as a message names this endpoint. */
  public String describe() {
    return "HTTP port " + port + " on " + host;
  }
}
