package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two node processes and a client member in this JVM that keeps requests going to both while one of
 * them gets SIGTERM: what a graceful stop costs the clients of the cluster.
 */
class SigtermRoutingTest {

  /** Request chains running at once; each sends its next request when the last one is answered. */
  private static final int CHAINS = 48;
  /** Far below a node's drain or a generate's length: a request that waits this long was dropped. */
  private static final long SEND_TIMEOUT_MS = 5_000;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  @RegisterExtension
  final NodesAndClient processes = new NodesAndClient();
  private ClusterMember client;

  /**
   * Verifies that a node stopped with SIGTERM while requests stream to it costs its clients nothing:
   * every request sent before, during and after its stop is answered, and answered with success —
   * none is dropped (left to the send timeout), none answered OVERLOADED because the node was
   * draining — and the node exits 0.
   */
  @Test
  @DisplayName("SIGTERM under a stream of requests: every request answered with success, none dropped")
  void gracefulStopCostsClientsNothing() {
    processes.start("sigterm-routing", redis.server().url(), 2, new JsonObject(), true);
    NodeProcess victim = processes.node(1);
    client = processes.client();
    String assistant = Await.await(client.request(Addresses.ASSISTANTS_CREATE,
        new JsonObject().put("name", "routing")), Duration.ofSeconds(30)).getString("id");
    List<String> chats = new ArrayList<>();
    for (int i = 0; i < CHAINS; i++) {
      chats.add(Await.await(client.request(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant)),
          Duration.ofSeconds(30)).getString("id"));
    }

    AtomicBoolean running = new AtomicBoolean(true);
    Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger answered = new AtomicInteger();
    List<Future<Void>> chains = new ArrayList<>();
    for (int i = 0; i < CHAINS; i++) {
      Promise<Void> done = Promise.promise();
      chains.add(done.future());
      String chat = chats.get(i);
      String chain = "c" + i;
      client.vertx().runOnContext(v -> next(chat, chain, 0, running, servedBy, failures, answered, done));
    }
    Await.until(() -> servedBy.getOrDefault(victim.nodeId(), new AtomicInteger()).get() > 50, Duration.ofSeconds(60),
        "the node to be stopped to serve requests");

    victim.process().terminate();
    int exit = victim.process().awaitExit(Duration.ofSeconds(60));
    int answeredAtExit = answered.get();
    Await.until(() -> answered.get() > answeredAtExit + 200, Duration.ofSeconds(30), "requests after the exit");
    running.set(false);
    Await.await(Future.all(chains), Duration.ofSeconds(30));

    assertThat(exit).as("exit code\n%s", victim.process().logTail(30)).isZero();
    assertThat(victim.process().log()).contains("consumers out of the cluster's routing");
    assertThat(failures).as("requests that failed or got no answer (of %d), served by %s", answered.get(), servedBy)
        .isEmpty();
  }

  /** One generate after another on {@code chat} (each a new jobId) while {@code running}. */
  private void next(String chat, String chain, int n, AtomicBoolean running, Map<String, AtomicInteger> servedBy,
      Queue<String> failures, AtomicInteger answered, Promise<Void> done) {
    if (!running.get()) {
      done.complete();
      return;
    }
    String jobId = chain + "-" + n;
    JsonObject body = new JsonObject().put("chatId", chat).put("jobId", jobId).put("text", "hello " + jobId);
    long sent = System.nanoTime();
    client.vertx().eventBus().<JsonObject>request(Addresses.GENERATE, body,
        new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS)).onComplete(ar -> {
          answered.incrementAndGet();
          if (ar.succeeded()) {
            servedBy.computeIfAbsent(ar.result().body().getString("node"), k -> new AtomicInteger()).incrementAndGet();
          } else {
            Throwable cause = ar.cause();
            String what = ClusterMember.isNoAnswer(cause) ? "no answer: " + cause.getMessage()
                : ApiException.fromReply(cause).toJson().encode();
            failures.add(jobId + " after " + (System.nanoTime() - sent) / 1_000_000 + " ms: " + what);
          }
          next(chat, chain, n + 1, running, servedBy, failures, answered, done);
        });
  }
}
