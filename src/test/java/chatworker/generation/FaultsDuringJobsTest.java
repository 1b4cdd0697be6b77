package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.store.JobRecord;
import chatworker.store.Keys;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis goes down while jobs run and comes back. Each chat runs its jobs one after another, as a
 * well-behaved client does (a chat runs one job at a time), and the chats run in parallel; the model
 * is slow (a delay per token), so jobs are surely mid-flight when the fault comes, and Redis stays
 * down until jobs have failed for it.
 */
class FaultsDuringJobsTest {

  private static final int CHATS = 8;
  private static final int JOBS_PER_CHAT = 6;
  /** The builtin model waits this long before each word: a job's reply takes ~7 words. */
  private static final long TOKEN_DELAY_MS = 40;
  private static final Set<ErrorCode> FAULT_CODES = Set.of(ErrorCode.STORE_UNAVAILABLE, ErrorCode.TIMEOUT);

  // AOF, so that acknowledged writes survive the restart.
  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension(RedisServer.Options.defaults().withAppendOnly(true));

  /** One job as its client saw it: sent and answered (nanoTime), with its reply or its failure. */
  private record Sent(String chatId, String jobId, String text, long sentAt, long answeredAt, JsonObject reply,
      ApiException failure) {

    JsonObject request() {
      return new JsonObject().put("chatId", chatId).put("jobId", jobId).put("text", text).put("timeoutMs", 5_000);
    }

    boolean inFlightAt(long moment) {
      return sentAt - moment < 0 && answeredAt - moment > 0;
    }
  }

  /**
   * Verifies that when Redis stops with jobs in flight, stays down until some of them failed, and comes
   * back (then drops its clients once more), every job
   * ends with success, STORE_UNAVAILABLE or TIMEOUT (none hangs, none finds its chat locked by an
   * earlier one), that Redis then holds each job whole or not at all (a success stored exactly once
   * with a succeeded record; a failure with no reply, or, when only the answer was lost, stored whole)
   * and no lock, and that resending the failed jobIds completes each exactly once.
   */
  @Test
  @DisplayName("Redis down under jobs in flight: each ends, Redis holds it whole or not at all, resends complete once")
  void jobsSurviveRedisFaults() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      List<String> chats = new ArrayList<>();
      for (int i = 0; i < CHATS; i++) {
        JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "a" + i)
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", TOKEN_DELAY_MS))));
        chats.add(node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
            .getString("id"));
      }
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger failures = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(CHATS);
      List<CompletableFuture<List<Sent>>> runs = new ArrayList<>();
      try {
        for (int i = 0; i < CHATS; i++) {
          int chat = i;
          runs.add(CompletableFuture.supplyAsync(() -> runJobsOneByOne(node, chats.get(chat), chat, inFlight, failures), clients));
        }
        Await.until(() -> inFlight.get() >= CHATS / 2 && locksHeld() >= CHATS / 2, Duration.ofSeconds(20),
            "jobs holding their chats");
        long fault = System.nanoTime();
        redisServer.server().stop();
        Await.until(() -> failures.get() > 0, Duration.ofSeconds(20), "a job to fail while Redis is down");
        redisServer.server().restart();
        redisServer.server().clientKillNormal();
        List<Sent> sent = runs.stream()
            .flatMap(run -> Await.await(Future.fromCompletionStage(run), Duration.ofSeconds(120)).stream()).toList();

        long inFlightAtFault = sent.stream().filter(job -> job.inFlightAt(fault)).count();
        assertThat(inFlightAtFault).as("jobs in flight when Redis stopped").isGreaterThanOrEqualTo(CHATS / 2);
        List<Sent> failed = sent.stream().filter(job -> job.failure() != null).toList();
        assertThat(failed).allSatisfy(job -> assertThat(job.failure().code()).as(job.jobId() + ": "
            + job.failure().getMessage()).isIn(FAULT_CODES));
        assertNoLockLeft();
        int storedDespiteFailure = 0;
        for (Sent job : sent) {
          storedDespiteFailure += checkWholeOrNothing(node, job) ? 1 : 0;
        }

        for (Sent job : failed) {
          resendUntilItCompletes(node, job);
        }
        for (Sent job : sent) {
          assertThat(assistantReplies(node, job)).as(job.jobId() + " after resending").hasSize(1);
          assertThat(record(job).status()).isEqualTo("succeeded");
          assertThat(userTurns(node, job)).as(job.jobId() + "'s user text").isEqualTo(1);
        }
        assertNoLockLeft();
        System.out.printf("{\"test\":\"faults-during-jobs\",\"jobs\":%d,\"inFlightAtFault\":%d,\"failed\":%d,"
            + "\"storedDespiteFailure\":%d}%n", sent.size(), inFlightAtFault, failed.size(), storedDespiteFailure);
      } finally {
        clients.shutdownNow();
      }
    }
  }

  /**
   * One chat's client: its jobs one after another. After a failure it waits for the chat to be free:
   * a job whose clean-up could not reach Redis leaves the lock to its lease (3 s here).
   */
  private static List<Sent> runJobsOneByOne(TestNode node, String chatId, int chat, AtomicInteger inFlight,
      AtomicInteger failures) {
    List<Sent> sent = new ArrayList<>();
    for (int k = 0; k < JOBS_PER_CHAT; k++) {
      Sent job = new Sent(chatId, "fault-" + chat + "-" + k, "chat " + chat + " job " + k + " says hello", 0, 0,
          null, null);
      long sentAt = System.nanoTime();
      inFlight.incrementAndGet();
      JsonObject reply = null;
      ApiException failure = null;
      try {
        reply = node.call(Addresses.GENERATE, job.request());
      } catch (ApiException e) {
        failure = e;
        failures.incrementAndGet();
      } finally {
        inFlight.decrementAndGet();
      }
      sent.add(new Sent(chatId, job.jobId(), job.text(), sentAt, System.nanoTime(), reply, failure));
      if (failure != null) {
        Await.until(() -> !lockHeld(chatId), Duration.ofSeconds(10), "chat " + chat + " free after " + job.jobId());
      }
    }
    return sent;
  }

  /**
   * Checks what Redis holds of one job against what its client heard; true when the job failed for
   * its client but is stored whole (the commit went through and only its answer was lost).
   */
  private static boolean checkWholeOrNothing(TestNode node, Sent job) {
    List<JsonObject> replies = assistantReplies(node, job);
    JobRecord record = record(job);
    boolean stored = record != null && record.status().equals("succeeded");
    assertThat(replies).as(job.jobId() + "'s stored replies").hasSizeLessThanOrEqualTo(1);
    assertThat(replies.size() == 1).as(job.jobId() + ": a stored reply goes with a succeeded record").isEqualTo(stored);
    assertThat(userTurns(node, job)).as(job.jobId() + "'s user text").isLessThanOrEqualTo(1);
    if (job.failure() == null) {
      assertThat(stored).as(job.jobId() + " succeeded for its client").isTrue();
      assertThat(replies.get(0).getString("id")).isEqualTo(job.reply().getJsonObject("message").getString("id"));
      assertThat(replies.get(0).getString("text")).isEqualTo("You said: " + job.text());
      assertThat(userTurns(node, job)).isEqualTo(1);
    }
    return job.failure() != null && stored;
  }

  /** Sends the job again until it completes; only a Redis fault (the node still recovering) is retried. */
  private static void resendUntilItCompletes(TestNode node, Sent job) {
    Await.until(() -> {
      try {
        node.call(Addresses.GENERATE, job.request());
        return true;
      } catch (ApiException e) {
        assertThat(e.code()).as("resending " + job.jobId() + ": " + e.getMessage()).isIn(FAULT_CODES);
        return false;
      }
    }, Duration.ofSeconds(30), "resent " + job.jobId() + " completes");
  }

  private static List<JsonObject> messages(TestNode node, String chatId) {
    return node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId).put("limit", 1000))
        .getJsonArray("messages").stream().map(m -> (JsonObject) m).toList();
  }

  private static List<JsonObject> assistantReplies(TestNode node, Sent job) {
    return messages(node, job.chatId()).stream()
        .filter(m -> "assistant".equals(m.getString("role")) && job.jobId().equals(m.getString("jobId"))).toList();
  }

  private static long userTurns(TestNode node, Sent job) {
    return messages(node, job.chatId()).stream()
        .filter(m -> "user".equals(m.getString("role")) && job.text().equals(m.getString("text"))).count();
  }

  private static JobRecord record(Sent job) {
    String value = redisServer.server().command("HGET", Keys.jobs(job.chatId()), job.jobId());
    return value == null || value.isEmpty() ? null : JobRecord.parse(value);
  }

  private static long locksHeld() {
    String keys = redisServer.server().command("KEYS", "cw:chat:*:lock");
    return keys.isEmpty() ? 0 : keys.split("\n").length;
  }

  /** Whether the chat's lock is held; while Redis is down, say so (it may be, once it is back). */
  private static boolean lockHeld(String chatId) {
    try {
      return redisServer.server().command("EXISTS", Keys.lock(chatId)).equals("1");
    } catch (UncheckedIOException | IllegalStateException down) {
      return true;
    }
  }

  private static void assertNoLockLeft() {
    Await.until(() -> locksHeld() == 0, Duration.ofSeconds(10), "no chat lock outlives its lease");
  }
}
