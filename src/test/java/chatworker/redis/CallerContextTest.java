package chatworker.redis;

import chatworker.time.Deadline;
import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.RedisExtension;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CallerContextTest {

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that start, a successful call, a batch and a failed call each complete on the context
   * that made them, although the connections live on event loops of their own: a verticle's
   * handlers must never run on another verticle's thread.
   */
  @Test
  @DisplayName("Every call completes on the caller's context, not on a connection's event loop")
  void callsCompleteOnTheCallersContext() {
    redisServer.server().command("RPUSH", "a-list", "x");
    Vertx vertx = Vertx.vertx();
    try {
      ResilientRedis redis = ResilientRedis.create(vertx, LayerHarness.fastSettings(redisServer.server().url()));
      List<Context> callers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        callers.add(((VertxInternal) vertx).createEventLoopContext());
      }
      assertThat(completionContext(callers.get(0), redis::start)).isSameAs(callers.get(0));
      for (Context caller : callers) {
        assertThat(completionContext(caller, () -> redis.send(Request.cmd(Command.PING), true))).isSameAs(caller);
        assertThat(completionContext(caller, () -> redis.batch(List.of(Request.cmd(Command.PING),
            Request.cmd(Command.PING)), true, Deadline.inMillis(1_000)))).isSameAs(caller);
        assertThat(completionContext(caller, () -> redis.send(Request.cmd(Command.GET).arg("a-list"), true)))
            .isSameAs(caller);
      }
      Await.await(redis.close());
    } finally {
      Await.await(vertx.close());
    }
  }

  /** The context on which the future made by {@code call} on {@code caller} completed, success or not. */
  private static Context completionContext(Context caller, Supplier<Future<?>> call) {
    Promise<Context> seen = Promise.promise();
    caller.runOnContext(v -> call.get().onComplete(done -> seen.complete(Vertx.currentContext())));
    return Await.await(seen.future());
  }
}
