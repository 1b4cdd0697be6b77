package chatworker.cluster;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;

/**
 * How a node joins its cluster: TCP/IP discovery only, bound to one address.
 *
 * @param name                     Hazelcast cluster name; nodes with another name never join
 * @param host                     address Hazelcast and the event bus bind to and announce
 * @param port                     Hazelcast port
 * @param members                  {@code host:port} of the other members; empty: this node alone
 * @param heartbeatIntervalSeconds Hazelcast heartbeat period
 * @param maxNoHeartbeatSeconds    a member silent this long is declared dead
 */
public record ClusterSettings(String name, String host, int port, List<String> members,
    int heartbeatIntervalSeconds, int maxNoHeartbeatSeconds) {

  public static final String DEFAULT_NAME = "chat-worker";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;
  public static final int DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 1;
  public static final int DEFAULT_MAX_NO_HEARTBEAT_SECONDS = 5;

  public static ClusterSettings fromJson(JsonObject json) {
    String members = json.getString("members", "");
    return new ClusterSettings(
        json.getString("name", DEFAULT_NAME),
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
        json.getInteger("heartbeatIntervalSeconds", DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
        json.getInteger("maxNoHeartbeatSeconds", DEFAULT_MAX_NO_HEARTBEAT_SECONDS));
  }
}
