package chatworker.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BuiltinModelTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static ModelRequest request(String userText, long tokenDelayMs) {
    return new ModelRequest("builtin", new JsonObject().put("tokenDelayMs", tokenDelayMs),
        List.of(new ChatTurn("system", "Be brief."), new ChatTurn("user", "earlier"),
            new ChatTurn("assistant", "You said: earlier"), new ChatTurn("user", userText)));
  }

  /** Verifies that the reply derives from the last user turn and the deltas concatenate to it. */
  @Test
  @DisplayName("Replies to the last user turn; streamed deltas add up to the reply")
  void repliesToTheLastUserTurn() throws Exception {
    List<String> deltas = new CopyOnWriteArrayList<>();
    ModelReply reply = new BuiltinModel(vertx).generate(request("what is two plus two", 0), deltas::add)
        .result().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(reply.text()).isEqualTo("You said: what is two plus two");
    assertThat(String.join("", deltas)).isEqualTo(reply.text());
    assertThat(deltas).hasSize(7);
    assertThat(reply.promptTokens()).isPositive();
    assertThat(reply.completionTokens()).isPositive();
  }

  /** Verifies that cancelling mid-stream fails the result and stops the deltas. */
  @Test
  @DisplayName("Cancel mid-stream: the result fails and no more deltas come")
  void cancelStopsTheStream() throws Exception {
    List<String> deltas = new CopyOnWriteArrayList<>();
    ModelCall call = new BuiltinModel(vertx).generate(request("one two three four five six seven", 50), deltas::add);
    chatworker.testing.Await.until(() -> deltas.size() >= 2, java.time.Duration.ofSeconds(10), "two deltas");
    call.cancel();
    chatworker.testing.Await.until(() -> call.result().isComplete(), java.time.Duration.ofSeconds(10), "ended");
    int seen = deltas.size();
    assertThat(call.result().failed()).isTrue();
    assertThat(call.result().cause()).isInstanceOf(ModelException.class);
    // A further delta would come within 50 ms; wait for the time the rest would have taken.
    vertx.timer(400).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(deltas).hasSize(seen);
  }
}
