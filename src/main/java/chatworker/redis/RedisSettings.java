package chatworker.redis;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the resilient Redis layer can be told, with the defaults that {@code conf/chat-worker.json}
 * documents. Immutable; built once from the {@code redis} section of the node's configuration.
 *
 * @param mode                     standalone, sentinel or cluster (shared/CONTRACT.md, "Redis topologies")
 * @param url                      {@code redis://[user:password@]host:port[/db]} or {@code rediss://} for TLS;
 *                                 sentinel: the sentinels, cluster: seed nodes, comma-separated
 * @param masterName               sentinel: the name the sentinels monitor
 * @param durabilityReplicas       a write is acknowledged only once this many replicas hold it ({@code WAIT})
 * @param durabilityWaitTimeoutMs  how long one {@code WAIT} may take before the write is answered as not durable
 * @param connections              held, pipelined connections to Redis (the connection bound)
 * @param maxInFlightPerConnection commands that may wait for a reply on one connection; beyond
 *                                 {@code connections × this} a call fails at once (the queue bound)
 * @param commandTimeoutMs         longest a single command may take before its connection is deemed hung
 *                                 and closed
 * @param defaultDeadlineMs        deadline of a call that brings none of its own (retries included)
 * @param connectTimeoutMs         deadline of one connect attempt (TCP, TLS and handshake together)
 * @param healthCheckIntervalMs    how often each connection is PINGed
 * @param readIdleTimeoutMs        a socket that reads nothing for this long is closed (catches half-open
 *                                 sockets; must exceed the health-check interval)
 * @param reconnectInitialDelayMs  first reconnect backoff (full jitter, doubling)
 * @param reconnectMaxDelayMs      reconnect backoff cap
 * @param authRetryDelayMs         reconnect delay after Redis refused the credentials
 * @param retryInitialDelayMs      first retry backoff of an idempotent call (full jitter, doubling)
 * @param retryMaxDelayMs          retry backoff cap
 * @param maxAttempts              attempts of one call at most, the first included
 * @param breakerMaxFailures       failed calls (Redis unreachable, hung or lost) that open the breaker
 * @param breakerResetTimeoutMs    how long the breaker stays open before a half-open probe
 * @param tlsCaCertPath            PEM file of the CA to trust for {@code rediss://}; null: the JVM's trust store
 * @param tlsVerifyHostname        check the server certificate's host name
 */
public record RedisSettings(
    RedisMode mode,
    String url,
    String masterName,
    int durabilityReplicas,
    long durabilityWaitTimeoutMs,
    int connections,
    int maxInFlightPerConnection,
    long commandTimeoutMs,
    long defaultDeadlineMs,
    long connectTimeoutMs,
    long healthCheckIntervalMs,
    long readIdleTimeoutMs,
    long reconnectInitialDelayMs,
    long reconnectMaxDelayMs,
    long authRetryDelayMs,
    long retryInitialDelayMs,
    long retryMaxDelayMs,
    int maxAttempts,
    int breakerMaxFailures,
    long breakerResetTimeoutMs,
    String tlsCaCertPath,
    boolean tlsVerifyHostname) {

  public static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  public RedisSettings {
    require(mode != null, "redis.mode must be standalone, sentinel or cluster");
    require(url != null && !url.isBlank(), "redis.url must be set");
    List<String> endpoints = endpoints(url);
    require(endpoints.stream().allMatch(e -> e.startsWith("redis://") || e.startsWith("rediss://")),
        "redis.url must start with redis:// or rediss:// (each entry of a comma-separated list)");
    require(mode != RedisMode.STANDALONE || endpoints.size() == 1,
        "redis.url holds one URL in standalone mode (a list is for sentinel or cluster mode)");
    require(endpoints.stream().map(e -> e.startsWith("rediss://")).distinct().count() == 1,
        "redis.url entries must all use TLS (rediss://) or none");
    require(mode != RedisMode.SENTINEL || (masterName != null && !masterName.isBlank()),
        "redis.masterName must be set in sentinel mode");
    require(durabilityReplicas >= 0 && durabilityReplicas <= 16, "redis.durability.replicas must be 0..16");
    // A write waits for at most two WAITs (the one in flight when its reply came, then its own): both
    // must end before the watchdog deems the connection hung.
    require(durabilityWaitTimeoutMs > 0 && (durabilityReplicas == 0 || durabilityWaitTimeoutMs * 2 < commandTimeoutMs),
        "redis.durability.waitTimeoutMs must be positive and, with durability on, less than half of redis.commandTimeoutMs");
    require(connections >= 1 && connections <= 64, "redis.connections must be 1..64");
    require(maxInFlightPerConnection >= 1 && maxInFlightPerConnection <= 100_000,
        "redis.maxInFlightPerConnection must be 1..100000");
    require(commandTimeoutMs > 0 && defaultDeadlineMs > 0 && connectTimeoutMs > 0,
        "redis timeouts must be positive");
    require(healthCheckIntervalMs > 0, "redis.healthCheckIntervalMs must be positive");
    require(readIdleTimeoutMs > healthCheckIntervalMs,
        "redis.readIdleTimeoutMs must exceed redis.healthCheckIntervalMs");
    // A connection whose WAITs block in Redis reads nothing meanwhile, its PINGs included: two WAITs
    // in a row must not look like a half-open socket.
    require(durabilityReplicas == 0 || readIdleTimeoutMs > durabilityWaitTimeoutMs * 2,
        "redis.readIdleTimeoutMs must exceed twice redis.durability.waitTimeoutMs with durability on");
    require(reconnectInitialDelayMs > 0 && reconnectMaxDelayMs >= reconnectInitialDelayMs,
        "redis.reconnect delays must be positive, max >= initial");
    require(retryInitialDelayMs > 0 && retryMaxDelayMs >= retryInitialDelayMs,
        "redis.retry delays must be positive, max >= initial");
    require(maxAttempts >= 1, "redis.retry.maxAttempts must be >= 1");
    require(breakerMaxFailures >= 1 && breakerResetTimeoutMs > 0, "redis.breaker settings must be positive");
  }

  /** The defaults, against the given URL. */
  public static RedisSettings defaults(String url) {
    return fromJson(new JsonObject().put("url", url));
  }

  /** Reads the {@code redis} section of the configuration; absent keys take their defaults. */
  public static RedisSettings fromJson(JsonObject json) {
    JsonObject reconnect = json.getJsonObject("reconnect", new JsonObject());
    JsonObject retry = json.getJsonObject("retry", new JsonObject());
    JsonObject breaker = json.getJsonObject("breaker", new JsonObject());
    JsonObject tls = json.getJsonObject("tls", new JsonObject());
    JsonObject durability = json.getJsonObject("durability", new JsonObject());
    return new RedisSettings(
        RedisMode.parse(json.getString("mode", "standalone")),
        json.getString("url", DEFAULT_URL),
        json.getString("masterName", "mymaster"),
        durability.getInteger("replicas", 0),
        durability.getLong("waitTimeoutMs", 300L),
        json.getInteger("connections", 4),
        json.getInteger("maxInFlightPerConnection", 512),
        json.getLong("commandTimeoutMs", 1_000L),
        json.getLong("defaultDeadlineMs", 3_000L),
        json.getLong("connectTimeoutMs", 2_000L),
        json.getLong("healthCheckIntervalMs", 1_000L),
        json.getLong("readIdleTimeoutMs", 5_000L),
        reconnect.getLong("initialDelayMs", 50L),
        reconnect.getLong("maxDelayMs", 2_000L),
        reconnect.getLong("authRetryDelayMs", 30_000L),
        retry.getLong("initialDelayMs", 5L),
        retry.getLong("maxDelayMs", 250L),
        retry.getInteger("maxAttempts", 10),
        breaker.getInteger("maxFailures", 5),
        breaker.getLong("resetTimeoutMs", 1_000L),
        tls.getString("caCertPath"),
        tls.getBoolean("verifyHostname", true));
  }

  /** A copy with another URL (tests point the same settings at a proxy). */
  public RedisSettings withUrl(String newUrl) {
    return new RedisSettings(mode, newUrl, masterName, durabilityReplicas, durabilityWaitTimeoutMs, connections, maxInFlightPerConnection, commandTimeoutMs,
        defaultDeadlineMs, connectTimeoutMs, healthCheckIntervalMs, readIdleTimeoutMs,
        reconnectInitialDelayMs, reconnectMaxDelayMs, authRetryDelayMs, retryInitialDelayMs,
        retryMaxDelayMs, maxAttempts, breakerMaxFailures, breakerResetTimeoutMs, tlsCaCertPath,
        tlsVerifyHostname);
  }

  /** A copy with another topology: mode, URL list and durability (tests and benchmarks). */
  public RedisSettings withTopology(RedisMode newMode, String newUrl, int replicas) {
    return new RedisSettings(newMode, newUrl, masterName, replicas, durabilityWaitTimeoutMs, connections,
        maxInFlightPerConnection, commandTimeoutMs, defaultDeadlineMs, connectTimeoutMs, healthCheckIntervalMs,
        readIdleTimeoutMs, reconnectInitialDelayMs, reconnectMaxDelayMs, authRetryDelayMs, retryInitialDelayMs,
        retryMaxDelayMs, maxAttempts, breakerMaxFailures, breakerResetTimeoutMs, tlsCaCertPath, tlsVerifyHostname);
  }

  /** The URL's entries: one in standalone mode, the sentinels or seed nodes otherwise. */
  public List<String> endpoints() {
    return endpoints(url);
  }

  private static List<String> endpoints(String url) {
    return Arrays.stream(url.split(",")).map(String::trim).filter(e -> !e.isEmpty()).toList();
  }

  /** True for {@code rediss://}. */
  public boolean tls() {
    return url.trim().startsWith("rediss://");
  }

  /** The URL (each entry of a list) without user and password: the only form that may reach a log or a status page. */
  public String redactedUrl() {
    return String.join(",", endpoints().stream().map(RedisSettings::redact).toList());
  }

  /** Removes the user-info part of a Redis URL. */
  public static String redact(String url) {
    try {
      URI uri = URI.create(url);
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + path;
    } catch (IllegalArgumentException e) {
      return "(unparseable redis url)";
    }
  }

  /** Never print the password: a record's default toString would. */
  @Override
  public String toString() {
    return "RedisSettings[mode=" + mode.label() + ", url=" + redactedUrl() + ", connections=" + connections
        + ", maxInFlightPerConnection=" + maxInFlightPerConnection + ", commandTimeoutMs=" + commandTimeoutMs
        + ", defaultDeadlineMs=" + defaultDeadlineMs + ", durabilityReplicas=" + durabilityReplicas + "]";
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
