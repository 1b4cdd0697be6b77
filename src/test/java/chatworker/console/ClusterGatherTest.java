package chatworker.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ClusterGatherTest {

  private final Map<String, Promise<JsonObject>> asked = new HashMap<>();
  private final ClusterGather gather = new ClusterGather(nodeId -> {
    Promise<JsonObject> answer = Promise.promise();
    asked.put(nodeId, answer);
    return answer.future();
  }, 1_500, () -> 42L);

  /**
   * Verifies that every member is asked at once, that the answer waits for each of them, and that it
   * lists them sorted by nodeId: those that answered with their status and history, one that timed
   * out, one without a consumer and one whose answer failed with why, in words.
   */
  @Test
  @DisplayName("All members asked at once; answered when each answered or failed; sorted by nodeId")
  void gathersEveryMemberSorted() {
    Future<JsonObject> result = gather.gather("node-b", List.of("node-d", "node-b", "node-a", "node-c", "node-e"));

    assertThat(asked.keySet()).containsExactlyInAnyOrder("node-a", "node-b", "node-c", "node-d", "node-e");
    JsonObject status = new JsonObject().put("nodeId", "node-a");
    JsonObject history = new JsonObject().put("periodMs", 2000).put("samples", new JsonArray());
    asked.get("node-a").complete(new JsonObject().put("status", status).put("history", history));
    asked.get("node-b").complete(new JsonObject().put("status", new JsonObject()).put("history", history));
    asked.get("node-c").fail(new ReplyException(ReplyFailure.TIMEOUT, "Timed out after waiting 1500(ms)"));
    asked.get("node-d").fail(new ReplyException(ReplyFailure.NO_HANDLERS, "No handlers for address"));
    assertThat(result.isComplete()).as("answered before every member did").isFalse();
    asked.get("node-e").fail(new IllegalStateException("some internal detail"));

    JsonObject body = result.result();
    assertThat(body.getString("servedBy")).isEqualTo("node-b");
    assertThat(body.getLong("at")).isEqualTo(42L);
    JsonArray members = body.getJsonArray("members");
    assertThat(members.stream().map(m -> ((JsonObject) m).getString("nodeId")).toList())
        .containsExactly("node-a", "node-b", "node-c", "node-d", "node-e");
    assertThat(members.getJsonObject(0)).isEqualTo(new JsonObject().put("nodeId", "node-a").put("answered", true)
        .put("status", status).put("history", history));
    assertThat(members.getJsonObject(2)).isEqualTo(new JsonObject().put("nodeId", "node-c").put("answered", false)
        .put("error", "no answer within 1500 ms"));
    assertThat(members.getJsonObject(3).getBoolean("answered")).isFalse();
    assertThat(members.getJsonObject(3).getString("error")).contains("no status consumer");
    assertThat(members.getJsonObject(4).getString("error")).isEqualTo("its answer failed");
  }

  /** Verifies that a member listed twice is asked once and listed once, and that no members is an empty list. */
  @Test
  @DisplayName("Duplicates asked once; no members gives an empty list")
  void duplicatesAndEmpty() {
    Future<JsonObject> result = gather.gather("node-a", List.of("node-a", "node-a"));
    assertThat(asked).hasSize(1);
    asked.get("node-a").fail(new ReplyException(ReplyFailure.TIMEOUT, "late"));
    assertThat(result.result().getJsonArray("members")).hasSize(1);

    assertThat(gather.gather("node-a", List.of()).result().getJsonArray("members")).isEmpty();
  }
}
