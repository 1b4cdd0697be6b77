package chatworker.config;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment variables an operator sets per node, and the configuration key each one overrides.
 * Environment always wins over the file. The table is the documentation: docs/CONFIG.md lists it.
 */
public final class EnvOverrides {

  /** Variable name → dotted path in {@code conf/chat-worker.json}. */
  public static final Map<String, String> VARIABLES = table();

  private EnvOverrides() {}

  private static Map<String, String> table() {
    Map<String, String> table = new LinkedHashMap<>();
    table.put("CHATWORKER_EVENT_LOOPS", "node.eventLoops");
    table.put("CHATWORKER_REDIS_MODE", "redis.mode");
    table.put("CHATWORKER_REDIS_URL", "redis.url");
    table.put("CHATWORKER_REDIS_MASTER_NAME", "redis.masterName");
    table.put("CHATWORKER_REDIS_DURABILITY_REPLICAS", "redis.durability.replicas");
    table.put("CHATWORKER_REDIS_CONNECTIONS", "redis.connections");
    table.put("CHATWORKER_REDIS_TLS_CA", "redis.tls.caCertPath");
    table.put("CHATWORKER_HTTP_PORT", "http.port");
    table.put("CHATWORKER_HTTP_HOST", "http.host");
    table.put("CHATWORKER_API_KEYS", "http.apiKeys");
    table.put("CHATWORKER_OPENAI_BASE_URL", "models.openai.baseUrl");
    table.put("CHATWORKER_OPENAI_API_KEY", "models.openai.apiKey");
    table.put("CHATWORKER_CLUSTER_NAME", "cluster.name");
    table.put("CHATWORKER_CLUSTER_HOST", "cluster.host");
    table.put("CHATWORKER_CLUSTER_PORT", "cluster.port");
    table.put("CHATWORKER_CLUSTER_MEMBERS", "cluster.members");
    table.put("CHATWORKER_CLUSTER_TLS_CERT", "cluster.tls.cert");
    table.put("CHATWORKER_CLUSTER_TLS_KEY", "cluster.tls.key");
    table.put("CHATWORKER_CLUSTER_TLS_CA", "cluster.tls.ca");
    table.put("CHATWORKER_HTTP_TLS_CERT", "http.tls.cert");
    table.put("CHATWORKER_HTTP_TLS_KEY", "http.tls.key");
    return Map.copyOf(table);
  }

  /**
   * Writes each variable present in {@code env} (as vertx-config's env store reads it: one top-level
   * key per variable) into its place in {@code config}, converting numbers where the file has numbers.
   */
  public static JsonObject apply(JsonObject config, JsonObject env) {
    JsonObject result = config.copy();
    VARIABLES.forEach((variable, path) -> {
      Object value = env.getValue(variable);
      if (value == null || value.toString().isBlank()) {
        return;
      }
      String[] parts = path.split("\\.");
      JsonObject parent = result;
      for (int i = 0; i < parts.length - 1; i++) {
        JsonObject child = parent.getJsonObject(parts[i]);
        if (child == null) {
          child = new JsonObject();
          parent.put(parts[i], child);
        }
        parent = child;
      }
      String leaf = parts[parts.length - 1];
      parent.put(leaf, convert(variable, value.toString().trim(), parent.getValue(leaf)));
    });
    return result;
  }

  private static Object convert(String variable, String raw, Object current) {
    if (current instanceof Number) {
      try {
        return Integer.parseInt(raw);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(variable + " must be a whole number");
      }
    }
    return raw;
  }
}
