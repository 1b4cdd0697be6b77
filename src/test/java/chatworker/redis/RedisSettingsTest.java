package chatworker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

  /**
   * Verifies the topology settings: a sentinel or cluster list is read entry by entry and printed
   * without credentials; standalone takes one URL; durability must leave the watchdog room.
   */
  @Test
  @DisplayName("Topology settings: lists per mode, no password in print, durability bounded by the command timeout")
  void topologySettingsAreCheckedAndRedacted() {
    RedisSettings sentinel = RedisSettings.fromJson(new JsonObject().put("mode", "sentinel")
        .put("url", "redis://:s3cret@10.0.0.1:26379, redis://:s3cret@10.0.0.2:26379").put("masterName", "chats"));
    assertThat(sentinel.mode()).isEqualTo(RedisMode.SENTINEL);
    assertThat(sentinel.endpoints()).hasSize(2);
    assertThat(sentinel.redactedUrl()).isEqualTo("redis://10.0.0.1:26379,redis://10.0.0.2:26379");
    assertThat(sentinel.toString()).doesNotContain("s3cret").contains("mode=sentinel");

    assertThatThrownBy(() -> RedisSettings.fromJson(new JsonObject().put("url", "redis://a:1,redis://b:2")))
        .hasMessageContaining("one URL in standalone mode");
    assertThatThrownBy(() -> RedisSettings.fromJson(new JsonObject().put("mode", "replicated")))
        .hasMessageContaining("standalone, sentinel or cluster");
    assertThatThrownBy(() -> RedisSettings.fromJson(new JsonObject().put("mode", "cluster")
        .put("url", "redis://a:1,rediss://b:2"))).hasMessageContaining("all use TLS");
    assertThatThrownBy(() -> RedisSettings.fromJson(new JsonObject().put("commandTimeoutMs", 500)
        .put("durability", new JsonObject().put("replicas", 1).put("waitTimeoutMs", 300))))
        .hasMessageContaining("less than half of redis.commandTimeoutMs");
    assertThatThrownBy(() -> RedisSettings.fromJson(new JsonObject().put("commandTimeoutMs", 10_000)
        .put("readIdleTimeoutMs", 1_100).put("durability", new JsonObject().put("replicas", 1).put("waitTimeoutMs", 600))))
        .hasMessageContaining("twice redis.durability.waitTimeoutMs");
    assertThat(RedisSettings.fromJson(new JsonObject()).durabilityReplicas()).isZero();
  }
}
