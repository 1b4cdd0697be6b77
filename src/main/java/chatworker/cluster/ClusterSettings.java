package chatworker.cluster;

import chatworker.tls.PemFiles;
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
 * @param withdrawGraceMs          at a graceful stop, how long the node keeps serving after it took its
 *                                 consumers out of the cluster's routing ({@link RouteWithdrawal}), so
 *                                 that every member has heard of it before the consumers go
 * @param tls                      this member's certificate and key and the members' CA: the event bus
 *                                 is mutual TLS ({@link EventBusSetup}); null: clear text
 */
public record ClusterSettings(String name, String host, int port, List<String> members,
    int heartbeatIntervalSeconds, int maxNoHeartbeatSeconds, long withdrawGraceMs, PemFiles tls) {

  public static final String DEFAULT_NAME = "chat-worker";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;
  public static final int DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 1;
  public static final int DEFAULT_MAX_NO_HEARTBEAT_SECONDS = 5;
  public static final long DEFAULT_WITHDRAW_GRACE_MS = 1_000;

  public ClusterSettings {
    if (withdrawGraceMs < 0) {
      throw new IllegalArgumentException("cluster.withdrawGraceMs must be 0 or more: " + withdrawGraceMs);
    }
  }

  /** With the default {@link #DEFAULT_WITHDRAW_GRACE_MS}: clients and tests that never stop a node. */
  public ClusterSettings(String name, String host, int port, List<String> members, int heartbeatIntervalSeconds,
      int maxNoHeartbeatSeconds) {
    this(name, host, port, members, heartbeatIntervalSeconds, maxNoHeartbeatSeconds, DEFAULT_WITHDRAW_GRACE_MS, null);
  }

  /** These settings with the event bus's TLS files ({@code null}: clear text). */
  public ClusterSettings withTls(PemFiles files) {
    return new ClusterSettings(name, host, port, members, heartbeatIntervalSeconds, maxNoHeartbeatSeconds,
        withdrawGraceMs, files);
  }

  public static ClusterSettings fromJson(JsonObject json) {
    String members = json.getString("members", "");
    return new ClusterSettings(
        json.getString("name", DEFAULT_NAME),
        json.getString("host", DEFAULT_HOST),
        json.getInteger("port", DEFAULT_PORT),
        Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
        json.getInteger("heartbeatIntervalSeconds", DEFAULT_HEARTBEAT_INTERVAL_SECONDS),
        json.getInteger("maxNoHeartbeatSeconds", DEFAULT_MAX_NO_HEARTBEAT_SECONDS),
        json.getLong("withdrawGraceMs", DEFAULT_WITHDRAW_GRACE_MS),
        PemFiles.fromJson(json.getJsonObject("tls"), "cluster.tls", true));
  }
}
