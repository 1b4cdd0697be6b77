package chatworker.model;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * How to reach an OpenAI-compatible server (the {@code models.openai} section of the configuration).
 * Immutable; its {@link #toString()} never shows the API key.
 *
 * @param baseUrl             the API root, {@code http(s)://host[:port]/v1}; {@code /chat/completions}
 *                            is appended. A trailing slash is dropped.
 * @param apiKey              sent as {@code Authorization: Bearer <key>}; null or blank: no header
 * @param connectTimeoutMs    longest wait for a connection (from the pool, or a new TCP/TLS connect)
 * @param idleTimeoutMs       a call that receives no bytes for this long (before or during the
 *                            stream) fails with "model stream stalled"
 * @param firstTokenTimeoutMs null (off), or the longest wait from sending a request to the first
 *                            non-empty delta, even while the server sends keep-alive comments
 * @param maxRetries          retries after the first attempt, only before the first token
 * @param retryInitialDelayMs backoff of the first retry (full jitter, doubling each retry)
 * @param retryMaxDelayMs     backoff cap, and cap of a server's {@code Retry-After}
 * @param maxConnections      HTTP/1.1 connections to the server at most; one stream holds one
 */
public record OpenAiSettings(
    String baseUrl,
    String apiKey,
    long connectTimeoutMs,
    long idleTimeoutMs,
    Long firstTokenTimeoutMs,
    int maxRetries,
    long retryInitialDelayMs,
    long retryMaxDelayMs,
    int maxConnections) {

  public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";
  public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
  public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_MAX_RETRIES = 2;
  public static final long DEFAULT_RETRY_INITIAL_DELAY_MS = 200;
  public static final long DEFAULT_RETRY_MAX_DELAY_MS = 2_000;
  public static final int DEFAULT_MAX_CONNECTIONS = 128;

  public OpenAiSettings {
    require(baseUrl != null, "models.openai.baseUrl is required");
    baseUrl = baseUrl.strip();
    while (baseUrl.endsWith("/")) {
      baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
    }
    URI uri = parse(baseUrl);
    require(("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null,
        "models.openai.baseUrl must be http(s)://host[:port][/path]");
    require(connectTimeoutMs > 0 && idleTimeoutMs > 0, "models.openai timeouts must be positive");
    require(firstTokenTimeoutMs == null || firstTokenTimeoutMs > 0,
        "models.openai.firstTokenTimeoutMs must be positive when set");
    require(maxRetries >= 0 && maxRetries <= 10, "models.openai.maxRetries must be 0..10");
    require(retryInitialDelayMs > 0 && retryMaxDelayMs >= retryInitialDelayMs,
        "models.openai retry delays must be positive, max >= initial");
    require(maxConnections >= 1, "models.openai.maxConnections must be >= 1");
  }

  /** The defaults, against the given server and key. */
  public static OpenAiSettings defaults(String baseUrl, String apiKey) {
    return fromJson(new JsonObject().put("baseUrl", baseUrl).put("apiKey", apiKey));
  }

  /** Reads the {@code models.openai} section; absent (or null) keys take their defaults. */
  public static OpenAiSettings fromJson(JsonObject json) {
    JsonObject in = json == null ? new JsonObject() : json;
    Long firstToken = number(in, "firstTokenTimeoutMs", null);
    return new OpenAiSettings(
        in.getValue("baseUrl") == null ? DEFAULT_BASE_URL : string(in, "baseUrl"),
        in.getValue("apiKey") == null ? null : string(in, "apiKey"),
        number(in, "connectTimeoutMs", DEFAULT_CONNECT_TIMEOUT_MS),
        number(in, "idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS),
        firstToken,
        Math.toIntExact(number(in, "maxRetries", (long) DEFAULT_MAX_RETRIES)),
        number(in, "retryInitialDelayMs", DEFAULT_RETRY_INITIAL_DELAY_MS),
        number(in, "retryMaxDelayMs", DEFAULT_RETRY_MAX_DELAY_MS),
        Math.toIntExact(number(in, "maxConnections", (long) DEFAULT_MAX_CONNECTIONS)));
  }

  /** Whether the server is reached over TLS. */
  public boolean tls() {
    return "https".equals(parse(baseUrl).getScheme());
  }

  /** The server's {@code host:port}, for messages (never the path, user info or key). */
  public String authority() {
    URI uri = parse(baseUrl);
    int port = uri.getPort() != -1 ? uri.getPort() : tls() ? 443 : 80;
    return uri.getHost() + ":" + port;
  }

  /** The endpoint the provider posts to. */
  public String chatCompletionsUrl() {
    return baseUrl + "/chat/completions";
  }

  /** Whether an {@code Authorization} header is sent. */
  public boolean hasApiKey() {
    return apiKey != null && !apiKey.isBlank();
  }

  /**
   * Whether the operator set this node up for an OpenAI-compatible server: an API key, or a server
   * other than the default (a local vLLM, Ollama or llama.cpp needs no key). The defaults alone (the
   * public API without a key) cannot answer, so they do not count.
   */
  public boolean configured() {
    return hasApiKey() || !DEFAULT_BASE_URL.equals(baseUrl);
  }

  @Override
  public String toString() {
    return "OpenAiSettings[baseUrl=" + baseUrl + ", apiKey=" + (hasApiKey() ? "<set>" : "<none>")
        + ", connectTimeoutMs=" + connectTimeoutMs + ", idleTimeoutMs=" + idleTimeoutMs
        + ", firstTokenTimeoutMs=" + firstTokenTimeoutMs + ", maxRetries=" + maxRetries
        + ", retryInitialDelayMs=" + retryInitialDelayMs + ", retryMaxDelayMs=" + retryMaxDelayMs
        + ", maxConnections=" + maxConnections + "]";
  }

  private static URI parse(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("models.openai.baseUrl is not a URL");
    }
  }

  private static String string(JsonObject in, String key) {
    if (!(in.getValue(key) instanceof String value)) {
      throw new IllegalArgumentException("models.openai." + key + " must be a string");
    }
    return value;
  }

  private static Long number(JsonObject in, String key, Long fallback) {
    Object value = in.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number number)) {
      throw new IllegalArgumentException("models.openai." + key + " must be a number");
    }
    return number.longValue();
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
