package chatworker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EnvOverridesTest {

  /** Verifies that a variable replaces the file's value at its nested key, keeping numbers numbers. */
  @Test
  @DisplayName("Environment variables win over the file, at their nested keys")
  void environmentWinsOverTheFile() {
    JsonObject file = new JsonObject()
        .put("redis", new JsonObject().put("url", "redis://file:6379").put("connections", 4))
        .put("http", new JsonObject().put("port", 8080));
    JsonObject env = new JsonObject()
        .put("CHATWORKER_REDIS_URL", "redis://env:6380")
        .put("CHATWORKER_HTTP_PORT", "0")
        .put("CHATWORKER_CLUSTER_MEMBERS", "127.0.0.1:5701,127.0.0.1:5702");

    JsonObject merged = EnvOverrides.apply(file, env);

    assertThat(merged.getJsonObject("redis").getString("url")).isEqualTo("redis://env:6380");
    assertThat(merged.getJsonObject("redis").getInteger("connections")).isEqualTo(4);
    assertThat(merged.getJsonObject("http").getValue("port")).isEqualTo(0);
    assertThat(merged.getJsonObject("cluster").getString("members")).isEqualTo("127.0.0.1:5701,127.0.0.1:5702");
    assertThat(file.getJsonObject("redis").getString("url")).as("input untouched").isEqualTo("redis://file:6379");
  }

  /** Verifies that blank variables are ignored and a non-number for a number fails naming the variable. */
  @Test
  @DisplayName("Blank variables are ignored; a bad number names its variable")
  void blankIgnoredAndBadNumbersNamed() {
    JsonObject file = new JsonObject().put("http", new JsonObject().put("port", 8080));
    assertThat(EnvOverrides.apply(file, new JsonObject().put("CHATWORKER_HTTP_PORT", " ")))
        .isEqualTo(file);
    assertThatThrownBy(() -> EnvOverrides.apply(file, new JsonObject().put("CHATWORKER_HTTP_PORT", "eighty")))
        .hasMessageContaining("CHATWORKER_HTTP_PORT");
  }
}
