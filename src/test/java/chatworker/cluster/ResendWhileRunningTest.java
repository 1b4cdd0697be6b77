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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client that got no answer in time resends the same jobId, as the contract invites, and the resend
 * reaches the node (a real {@code java -jar} process) where the job still runs. The job must stay the
 * node's to cancel and to drain: the resend is answered 409 and changes nothing else.
 */
class ResendWhileRunningTest {

  /** Long on purpose: a lock found after the job ended was leaked, not waiting for its lease. */
  private static final long LEASE_MS = 60_000;
  /** 20 words at 500 ms: about 10 s, far longer than any cancel or drain in these tests. */
  private static final int TOKEN_DELAY_MS = 500;
  private static final String WORDS = "a b c d e f g h i j k l m n o p q";
  private static final Pattern SCRIPT_CALLS = Pattern.compile("cmdstat_eval(?:sha)?:calls=(\\d+)");

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  @RegisterExtension
  final NodesAndClient processes = new NodesAndClient();
  private ClusterMember client;

  /**
   * Verifies that a resend of a running job is answered 409 by the node without a Lua script, that a
   * cancel after it still reaches the running job (the first request ends CANCELLED long before the
   * model would have finished), and that the chat takes a new generation at once.
   */
  @Test
  @DisplayName("Resend, then cancel: 409 for the resend, CANCELLED for the job, the chat free at once")
  void resendThenCancel() {
    NodeProcess node = startNode(10_000);
    String chatId = chat();
    Future<JsonObject> first = runThenResend(node, chatId, "resent-then-cancelled");
    assertThat(first.isComplete()).as("the first request still runs").isFalse();

    client.vertx().eventBus().publish(Addresses.GENERATE_CANCEL, new JsonObject().put("jobId", "resent-then-cancelled"));
    ApiException cancelled = Await.failure(first, ApiException.class);
    assertThat(cancelled.code()).as("the first request's answer (the model alone takes ~10 s)")
        .isEqualTo(ErrorCode.CANCELLED);
    RedisChats chats = new RedisChats(redis.server());
    assertThat(chats.jobStatus(chatId, "resent-then-cancelled")).isEqualTo("cancelled");
    assertThat(chats.locked(chatId)).as("the chat's lock after the cancel").isFalse();

    JsonObject next = Await.await(client.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
        .put("jobId", "after-the-cancel").put("text", "again").put("timeoutMs", 30_000)), Duration.ofSeconds(45));
    assertThat(next.getString("jobId")).isEqualTo("after-the-cancel");
  }

  /**
   * Verifies that SIGTERM after a resend of a running job still drains that job: it is cancelled when
   * the drain time is up, its request is answered CANCELLED, the chat's lock is released (not left to
   * its lease) and the node exits 0.
   */
  @Test
  @DisplayName("Resend, then SIGTERM: the drain cancels the real job, no lock left, exit 0")
  void resendThenSigterm() {
    NodeProcess node = startNode(1_000);
    String chatId = chat();
    Future<JsonObject> first = runThenResend(node, chatId, "resent-then-drained");

    node.process().terminate();
    ApiException drained = Await.failure(first, ApiException.class);
    int exit = node.process().awaitExit(Duration.ofSeconds(60));

    assertThat(drained.code()).as("the running job's answer after SIGTERM").isEqualTo(ErrorCode.CANCELLED);
    assertThat(exit).as("exit code of the node\n%s", node.process().logTail(40)).isZero();
    RedisChats chats = new RedisChats(redis.server());
    assertThat(chats.locked(chatId)).as("the chat's lock after the node stopped").isFalse();
    assertThat(chats.jobStatus(chatId, "resent-then-drained")).isEqualTo("cancelled");
    assertThat(chats.messages(chatId)).extracting(m -> m.getString("role")).containsExactly("user");
  }

  private NodeProcess startNode(long drainTimeoutMs) {
    processes.start("resend", redis.server().url(), 1, new JsonObject()
        .put("generation", new JsonObject().put("lockLeaseMs", LEASE_MS))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", drainTimeoutMs)), false);
    client = processes.client();
    return processes.node(0);
  }

  /**
   * Sends a generate and, once it runs and its start script holds the chat, the same jobId again:
   * asserts that the resend is answered 409 without a Lua script in Redis. Returns the first request.
   */
  private Future<JsonObject> runThenResend(NodeProcess node, String chatId, String jobId) {
    Future<JsonObject> first = generate(chatId, jobId);
    RedisChats chats = new RedisChats(redis.server());
    Await.until(() -> node.jobs().getInteger("inFlight") == 1 && chats.locked(chatId), Duration.ofSeconds(30),
        "the job running and holding its chat");
    long scriptsBefore = scriptCalls();
    ApiException resend = Await.failure(generate(chatId, jobId), ApiException.class);
    assertThat(resend.code()).isEqualTo(ErrorCode.JOB_IN_PROGRESS);
    assertThat(scriptCalls()).as("Lua scripts run for the resend").isEqualTo(scriptsBefore);
    return first;
  }

  /** A chat of a slow builtin assistant. */
  private String chat() {
    String assistantId = Await.await(client.request(Addresses.ASSISTANTS_CREATE, new JsonObject()
        .put("name", "slow").put("model", new JsonObject().put("options",
            new JsonObject().put("tokenDelayMs", TOKEN_DELAY_MS)))), Duration.ofSeconds(30)).getString("id");
    return Await.await(client.request(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId)),
        Duration.ofSeconds(30)).getString("id");
  }

  private Future<JsonObject> generate(String chatId, String jobId) {
    return client.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("jobId", jobId)
        .put("text", WORDS).put("timeoutMs", 30_000));
  }

  /** How many Lua scripts Redis has run so far (EVAL and EVALSHA). */
  private static long scriptCalls() {
    Matcher calls = SCRIPT_CALLS.matcher(redis.server().command("INFO", "commandstats"));
    long sum = 0;
    while (calls.find()) {
      sum += Long.parseLong(calls.group(1));
    }
    return sum;
  }
}
