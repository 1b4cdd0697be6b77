package chatworker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import chatworker.config.EnvOverrides;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

  /** Verifies that 0 means half the cores (at least one), and a number is taken as it is. */
  @Test
  @DisplayName("eventLoops 0 picks half the cores, at least one; a number is kept")
  void automaticAndExplicitEventLoops() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertThat(NodeSettings.fromJson(new JsonObject()).effectiveEventLoops()).isEqualTo(Math.max(1, cores / 2));
    assertThat(NodeSettings.fromJson(new JsonObject().put("eventLoops", 3)).effectiveEventLoops()).isEqualTo(3);
    assertThatThrownBy(() -> NodeSettings.fromJson(new JsonObject().put("eventLoops", -1)))
        .hasMessageContaining("node.eventLoops");
  }

  /** Verifies that the shipped file's setting, overridden by CHATWORKER_EVENT_LOOPS, sizes Vert.x's loops. */
  @Test
  @DisplayName("CHATWORKER_EVENT_LOOPS over the shipped file sets how many event loops Vert.x runs")
  void environmentSetsTheEventLoopsVertxRuns() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf", "chat-worker.json")));
    assertThat(shipped.getJsonObject("node").getInteger("eventLoops")).as("shipped: automatic").isZero();
    JsonObject config = EnvOverrides.apply(shipped, new JsonObject().put("CHATWORKER_EVENT_LOOPS", "2"));

    VertxOptions options = NodeSettings.fromJson(config.getJsonObject("node")).applyTo(new VertxOptions());
    Vertx vertx = Vertx.vertx(options);
    try {
      // Verticle instances are spread over the loops round robin: eight of them land on exactly two threads.
      Set<String> threads = ConcurrentHashMap.newKeySet();
      vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          threads.add(Thread.currentThread().getName());
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setInstances(8)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(threads).hasSize(2);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
