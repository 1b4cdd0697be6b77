package chatworker.redis;

import chatworker.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FlushCoalescingTest {

  private static final int CALLS = 100;

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies that the calls made in one event-loop turn reach Redis in a handful of reads instead of
   * one read each, and that every caller still gets its own reply.
   */
  @Test
  @DisplayName("Calls made in one event-loop turn reach Redis together, each caller with its own reply")
  void callsOfOneTurnLeaveInOneWrite() {
    // One loop for the caller and the connection, as a node on two cores runs them.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    ResilientRedis redis = ResilientRedis.create(vertx,
        RedisSettings.fromJson(LayerHarness.fastJson(redisServer.server().url()).put("connections", 1)));
    try {
      Await.await(redis.start());
      long readsBefore = readsProcessed();

      Promise<List<Response>> replies = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> {
        List<Future<Response>> calls = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
          calls.add(redis.send(Request.cmd(Command.INCRBY).arg("coalesced:" + i).arg(i), false));
        }
        Future.all(calls).map(all -> calls.stream().map(Future::result).toList()).onComplete(replies);
      });
      List<Response> answered = Await.await(replies.future());
      long reads = readsProcessed() - readsBefore;

      for (int i = 0; i < CALLS; i++) {
        assertThat(answered.get(i).toLong()).as("reply to call %d", i).isEqualTo(i);
      }
      // Without coalescing each call is a write of its own: ~100 reads. The rest are this test's
      // INFO and the layer's health PINGs.
      assertThat(reads).isLessThan(10);
    } finally {
      Await.await(redis.close());
      Await.await(vertx.close());
    }
  }

  private static long readsProcessed() {
    String stats = redisServer.server().command("INFO", "stats");
    return stats.lines().filter(line -> line.startsWith("total_reads_processed:"))
        .mapToLong(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).trim()))
        .findFirst().orElseThrow();
  }
}
