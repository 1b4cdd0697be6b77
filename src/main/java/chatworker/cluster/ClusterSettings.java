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

  public static ClusterSettings fromJson(JsonObject json) {
    String members = json.getString("members", "");
    return new ClusterSettings(
        json.getString("name", "chat-worker"),
        json.getString("host", "127.0.0.1"),
        json.getInteger("port", 5701),
        Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
        json.getInteger("heartbeatIntervalSeconds", 1),
        json.getInteger("maxNoHeartbeatSeconds", 5));
  }
}
