package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One node process with generation jobs in flight, and a client member in this JVM that sent them;
 * the node gets SIGTERM ({@link Process#destroy()}). The client is a data member, not a lite one like
 * {@code submit}: once the node has left it is the only member, and a cluster of lite members alone
 * holds no partitions, so even unregistering the client's own consumers at its close would retry
 * until Hazelcast's invocation timeout.
 */
class SigtermDrainTest {

  private static final int JOBS_PER_KIND = 8;
  private static final long DRAIN_MS = 3_000;
  /** Long on purpose: a lock found after the exit was leaked, not waiting for its lease. */
  private static final long LEASE_MS = 60_000;
  /**
   * 12 words at 150 ms: about 1.8 s, so all 16 jobs are seen running together before the first ends,
   * and each is done well inside the drain.
   */
  private static final String FAST_WORDS = "one two three four five six seven eight";
  private static final int FAST_TOKEN_DELAY_MS = 150;
  /** 8 words at 1 s: still running when the drain ends, however late the SIGTERM came. */
  private static final String SLOW_WORDS = "a b c d";
  private static final int SLOW_TOKEN_DELAY_MS = 1_000;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  @RegisterExtension
  final NodesAndClient processes = new NodesAndClient();
  private ClusterMember client;

  /** What one generate ended with. */
  private record Outcome(String chatId, String jobId, String text, JsonObject reply, Throwable failure) {}

  /**
   * Verifies that SIGTERM to a node running jobs lets the short jobs finish, cancels the ones still
   * running when the drain time is up with CANCELLED, answers every request (none hangs), releases
   * every chat lock rather than leaving it to its lease, records each job's outcome, and exits 0.
   */
  @Test
  @DisplayName("SIGTERM under load: jobs finish or end CANCELLED, every request is answered, no lock remains, exit 0")
  void sigtermDrainsJobsInFlight() {
    processes.start("sigterm-drain", redis.server().url(), 1, new JsonObject()
        .put("generation", new JsonObject().put("lockLeaseMs", LEASE_MS))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", DRAIN_MS)), false);
    NodeProcess node = processes.node(0);
    client = processes.client();

    String fast = assistant(FAST_TOKEN_DELAY_MS);
    String slow = assistant(SLOW_TOKEN_DELAY_MS);
    List<Future<Outcome>> jobs = new ArrayList<>();
    for (int i = 0; i < JOBS_PER_KIND; i++) {
      jobs.add(generate(fast, "fast-" + i, "fast " + i + " " + FAST_WORDS));
      jobs.add(generate(slow, "slow-" + i, "slow " + i + " " + SLOW_WORDS));
    }
    Await.until(() -> node.jobs().getInteger("inFlight") == 2 * JOBS_PER_KIND, Duration.ofSeconds(30),
        "all jobs running on the node");

    long sigtermAt = System.nanoTime();
    node.process().terminate();
    List<Outcome> outcomes = Await.await(Future.all(jobs), Duration.ofSeconds(45)).list();
    long answeredMs = (System.nanoTime() - sigtermAt) / 1_000_000;
    int exit = node.process().awaitExit(Duration.ofSeconds(60));
    System.out.printf("SIGTERM: every job answered after %d ms, node exited %d after %d ms%n", answeredMs, exit,
        (System.nanoTime() - sigtermAt) / 1_000_000);

    assertThat(exit).as("exit code of the node\n%s", node.process().logTail(40)).isZero();
    RedisChats chats = new RedisChats(redis.server());
    for (Outcome outcome : outcomes) {
      assertThat(outcome.failure()).as("job %s must not go unanswered", outcome.jobId())
          .matches(failure -> !ClusterMember.isNoAnswer(failure), "is an answer");
      List<String> roles = chats.messages(outcome.chatId()).stream().map(m -> m.getString("role")).toList();
      if (outcome.jobId().startsWith("fast")) {
        assertThat(outcome.failure()).as("failure of %s", outcome.jobId()).isNull();
        assertThat(outcome.reply().getJsonObject("message").getString("text")).isEqualTo("You said: " + outcome.text());
        assertThat(chats.jobStatus(outcome.chatId(), outcome.jobId())).isEqualTo("succeeded");
        assertThat(roles).containsExactly("user", "assistant");
      } else {
        assertThat(outcome.failure()).as("failure of %s", outcome.jobId()).isInstanceOf(ApiException.class);
        assertThat(((ApiException) outcome.failure()).code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(chats.jobStatus(outcome.chatId(), outcome.jobId())).isEqualTo("cancelled");
        assertThat(roles).as("nothing partial stored for %s", outcome.jobId()).containsExactly("user");
      }
      assertThat(chats.locked(outcome.chatId())).as("lock of the chat of %s", outcome.jobId()).isFalse();
    }
  }

  private String assistant(int tokenDelayMs) {
    return Await.await(client.request(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "drain")
        .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs)))),
        Duration.ofSeconds(30)).getString("id");
  }

  /** A new chat of {@code assistantId}, then one generate on it; the future never fails. */
  private Future<Outcome> generate(String assistantId, String jobId, String text) {
    String chatId = Await.await(client.request(Addresses.CHATS_CREATE,
        new JsonObject().put("assistantId", assistantId)), Duration.ofSeconds(30)).getString("id");
    return client.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("jobId", jobId)
            .put("text", text).put("timeoutMs", 30_000))
        .map(reply -> new Outcome(chatId, jobId, text, reply, null))
        .recover(err -> Future.succeededFuture(new Outcome(chatId, jobId, text, null, err)));
  }
}
