package chatworker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chatworker.cluster.ClusterSettings;
import chatworker.generation.GenerationSettings;
import chatworker.model.OpenAiSettings;
import chatworker.redis.RedisSettings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /**
   * Verifies that conf/chat-worker.json loads and holds exactly the defaults the code documents, so
   * the file and the code cannot drift apart.
   */
  @Test
  @DisplayName("conf/chat-worker.json loads and matches the code's defaults")
  void shippedFileHoldsTheDefaults() throws Exception {
    JsonObject config = load(ConfigLoader.DEFAULT_FILE);
    JsonObject redis = config.getJsonObject("redis");
    if (System.getenv("CHATWORKER_REDIS_URL") == null) {
      assertThat(RedisSettings.fromJson(redis)).usingRecursiveComparison()
          .isEqualTo(RedisSettings.fromJson(new JsonObject()));
    }
    assertThat(GenerationSettings.fromJson(config.getJsonObject("generation"), config.getJsonObject("shutdown")))
        .isEqualTo(GenerationSettings.fromJson(new JsonObject(), new JsonObject()));
    if (System.getenv("CHATWORKER_OPENAI_API_KEY") == null && System.getenv("CHATWORKER_OPENAI_BASE_URL") == null) {
      assertThat(OpenAiSettings.fromJson(config.getJsonObject("models").getJsonObject("openai")))
          .isEqualTo(OpenAiSettings.fromJson(new JsonObject()));
    }
    if (System.getenv("CHATWORKER_CLUSTER_MEMBERS") == null) {
      assertThat(ClusterSettings.fromJson(config.getJsonObject("cluster")))
          .isEqualTo(ClusterSettings.fromJson(new JsonObject()));
    }
  }

  /** Verifies that a missing or malformed file fails the load instead of silently using defaults. */
  @Test
  @DisplayName("A missing or malformed file fails the load")
  void missingOrMalformedFileFails(@TempDir Path dir) throws Exception {
    Path broken = Files.writeString(dir.resolve("broken.json"), "{ not json");
    assertThatThrownBy(() -> load(dir.resolve("absent.json").toString())).isInstanceOf(Exception.class);
    assertThatThrownBy(() -> load(broken.toString())).isInstanceOf(Exception.class);
  }

  private JsonObject load(String file) throws Exception {
    return ConfigLoader.load(vertx, file).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
