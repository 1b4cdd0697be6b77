package chatworker.redis;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What the layer last saw of the Redis deployment, for /status and /metrics. Holds no credentials.
 *
 * @param mode             standalone, sentinel or cluster
 * @param masters          the master(s): {@code host:port}, with their slot ranges in cluster mode
 * @param replicas         the replicas seen, each with its master and whether its link is up
 * @param failovers        master changes seen since the node started (a failover, commanded or not)
 * @param lastFailoverAt   when the last one was seen (ISO-8601), or null
 * @param slotMapChanges   cluster: how often the slot map changed (failovers and resharding)
 * @param redirects        cluster: MOVED and ASK replies the node's connections received
 * @param durableReplicas  replicas that must confirm a write before it is acknowledged (0: off)
 * @param waits            WAITs sent to confirm writes
 * @param waitShortfalls   WAITs that confirmed fewer replicas than required (those writes got 503)
 * @param observedAt       when the masters and replicas were read (ISO-8601), or null before the first read
 */
public record RedisTopology(
    String mode,
    List<Node> masters,
    List<Node> replicas,
    long failovers,
    String lastFailoverAt,
    long slotMapChanges,
    long redirects,
    int durableReplicas,
    long waits,
    long waitShortfalls,
    String observedAt) {

  /** A Redis node: its address, its slots (cluster masters), its master (replicas), its link state. */
  public record Node(String address, String slots, String master, Boolean linkUp) {
    JsonObject toJson() {
      JsonObject json = new JsonObject().put("address", address);
      if (slots != null) {
        json.put("slots", slots);
      }
      if (master != null) {
        json.put("master", master);
      }
      if (linkUp != null) {
        json.put("linkUp", linkUp);
      }
      return json;
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("mode", mode)
        .put("masters", new JsonArray(masters.stream().map(Node::toJson).toList()))
        .put("replicas", new JsonArray(replicas.stream().map(Node::toJson).toList()))
        .put("failovers", failovers)
        .put("lastFailoverAt", lastFailoverAt)
        .put("slotMapChanges", slotMapChanges)
        .put("redirects", redirects)
        .put("durability", new JsonObject()
            .put("replicas", durableReplicas)
            .put("waits", waits)
            .put("waitShortfalls", waitShortfalls))
        .put("observedAt", observedAt);
  }
}
