package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChatLockTest {

  /** Clients racing for the chat at once. */
  private static final int CLIENTS = 4;
  /** Generations each client wins. */
  private static final int TURNS = 3;

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  private static String chatWithDelay(TestNode node, long tokenDelayMs) {
    JsonObject assistant = node.call(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "slow")
        .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", tokenDelayMs))));
    return node.call(Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistant.getString("id")))
        .getString("id");
  }

  /**
   * Verifies that generations on one chat take turns: several clients at once, each retrying on
   * CHAT_LOCKED until it wins, all succeed; the windows in which each job's model streamed (the
   * test's own clock, at one consumer) never overlap; and the chat holds each job's user text right
   * before its reply, in the order the jobs streamed.
   */
  @Test
  @DisplayName("Clients racing for one chat each win in turn: streams never overlap, the chat reads in order")
  void generatesOnOneChatNeverOverlap() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chatWithDelay(node, 20);
      String streamAddress = "test.chat-lock." + UUID.randomUUID();
      List<Chunk> chunks = Collections.synchronizedList(new ArrayList<>());
      // One consumer on one context: chunks are handled in the order the jobs handed them over.
      Await.await(node.vertx().eventBus().<JsonObject>consumer(streamAddress, chunk -> chunks.add(new Chunk(
          chunk.body().getString("jobId"), chunk.body().getLong("seq"), System.nanoTime()))).completion());
      ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
      List<String> won;
      try {
        List<CompletableFuture<List<String>>> runs = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
          int client = c;
          runs.add(CompletableFuture.supplyAsync(() -> winTurns(node, chatId, streamAddress, client), clients));
        }
        won = runs.stream()
            .flatMap(run -> Await.await(Future.fromCompletionStage(run), Duration.ofSeconds(120)).stream()).toList();
      } finally {
        clients.shutdownNow();
      }

      assertThat(won).hasSize(CLIENTS * TURNS);
      List<Window> windows = won.stream().map(jobId -> Window.of(jobId, chunks)).sorted().toList();
      for (int i = 1; i < windows.size(); i++) {
        assertThat(windows.get(i).first()).as(windows.get(i).jobId() + " streamed while "
            + windows.get(i - 1).jobId() + " still did").isGreaterThan(windows.get(i - 1).last());
      }
      // one run per job: a job that streamed, lost the chat and ran again would stream its seqs twice
      assertThat(windows).allSatisfy(window -> assertThat(window.seqs()).as(window.jobId() + "'s chunks")
          .isEqualTo(LongStream.range(0, window.seqs().size()).boxed().toList()));
      List<JsonObject> messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId)
          .put("limit", 1000)).getJsonArray("messages").stream().map(m -> (JsonObject) m).toList();
      assertThat(messages).hasSize(won.size() * 2);
      for (int i = 0; i < windows.size(); i++) {
        JsonObject user = messages.get(2 * i);
        JsonObject reply = messages.get(2 * i + 1);
        String jobId = windows.get(i).jobId();
        assertThat(user.getString("role")).isEqualTo("user");
        assertThat(user.getString("text")).isEqualTo(textOf(jobId));
        assertThat(reply.getString("role")).isEqualTo("assistant");
        assertThat(reply.getString("jobId")).as("the reply in place " + i).isEqualTo(jobId);
        assertThat(reply.getString("text")).isEqualTo("You said: " + user.getString("text"));
        // start appends the user text, commit the reply: another job in between would take a seq here
        assertThat(reply.getLong("seq")).isEqualTo(user.getLong("seq") + 1);
      }
    }
  }

  /**
   * Verifies that a user message sent while a generation holds the chat is refused with CHAT_LOCKED
   * and stored nowhere.
   */
  @Test
  @DisplayName("messages.create while a generation holds the chat gets 423")
  void messageDuringAGenerationIsRefused() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      String chatId = chatWithDelay(node, 200);
      String streamAddress = "test.chat-lock." + UUID.randomUUID();
      Promise<Void> streaming = Promise.promise();
      Await.await(node.vertx().eventBus().consumer(streamAddress, chunk -> streaming.tryComplete()).completion());
      Future<JsonObject> generation = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
          .put("text", "one two three four five six").put("stream", true).put("streamAddress", streamAddress));
      Await.await(streaming.future()); // the model runs: the job holds the chat for its remaining words

      ApiException during = node.failure(Addresses.MESSAGES_CREATE,
          new JsonObject().put("chatId", chatId).put("text", "sneaking in"));

      assertThat(during.code()).isEqualTo(ErrorCode.CHAT_LOCKED);
      Await.await(generation);
      assertThat(node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId)).getJsonArray("messages"))
          .extracting(m -> ((JsonObject) m).getString("text")).doesNotContain("sneaking in");
    }
  }

  /**
   * One client: {@value #TURNS} generations on the chat, each sent again on CHAT_LOCKED (only that)
   * until it wins; returns the jobIds, each of which succeeded.
   */
  private static List<String> winTurns(TestNode node, String chatId, String streamAddress, int client) {
    List<String> won = new ArrayList<>();
    for (int turn = 0; turn < TURNS; turn++) {
      String jobId = "client-" + client + "-turn-" + turn;
      JsonObject request = new JsonObject().put("chatId", chatId).put("jobId", jobId).put("text", textOf(jobId))
          .put("stream", true).put("streamAddress", streamAddress);
      Await.until(() -> {
        try {
          node.call(Addresses.GENERATE, request);
          return true;
        } catch (ApiException e) {
          assertThat(e.code()).as(jobId + ": " + e.getMessage()).isEqualTo(ErrorCode.CHAT_LOCKED);
          return false;
        }
      }, Duration.ofSeconds(60), jobId + " to win the chat");
      won.add(jobId);
    }
    return won;
  }

  private static String textOf(String jobId) {
    return "this is " + jobId;
  }

  /** A streamed chunk as the test's consumer handled it. */
  private record Chunk(String jobId, long seq, long handledAt) {}

  /** When a job's chunks were handled, the first and the last (nanoTime), and their seqs in that order. */
  private record Window(String jobId, long first, long last, List<Long> seqs) implements Comparable<Window> {

    static Window of(String jobId, List<Chunk> all) {
      List<Chunk> own;
      synchronized (all) {
        own = all.stream().filter(chunk -> chunk.jobId().equals(jobId)).toList();
      }
      assertThat(own).as(jobId + "'s chunks").isNotEmpty();
      return new Window(jobId, own.get(0).handledAt(), own.get(own.size() - 1).handledAt(),
          own.stream().map(Chunk::seq).toList());
    }

    @Override
    public int compareTo(Window other) {
      return Long.compare(first, other.first);
    }
  }

  /**
   * Verifies lock fencing: with a lease shorter than the model takes, the lock expires mid-job, the
   * reply is not stored, and the job fails with CHAT_LOCKED saying nothing was stored.
   */
  @Test
  @DisplayName("A job whose lock expired stores nothing and fails clearly")
  void expiredLockFencesTheCommit() {
    JsonObject shortLease = new JsonObject().put("generation", new JsonObject().put("lockLeaseMs", 300));
    try (TestNode node = new TestNode(redisServer.server().url(), shortLease)) {
      String chatId = chatWithDelay(node, 150);
      // Renewal would keep the lock: make it fail by taking the lock away mid-job, as an expiry would.
      Future<JsonObject> job = node.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
          .put("text", "one two three four five six seven eight"));
      String lockKey = "cw:chat:{" + chatId + "}:lock";
      Await.until(() -> redisServer.server().command("EXISTS", lockKey).equals("1"), Duration.ofSeconds(10), "locked");
      redisServer.server().command("SET", lockKey, "someone-else", "PX", "60000");
      ApiException failure = (ApiException) Await.await(job.map(ok -> (Throwable) null)
          .recover(Future::succeededFuture));
      assertThat(failure).isNotNull();
      assertThat(failure.code()).isEqualTo(ErrorCode.CHAT_LOCKED);
      assertThat(failure.getMessage()).contains("nothing was stored");
      JsonArray messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId))
          .getJsonArray("messages");
      assertThat(messages).extracting(m -> ((JsonObject) m).getString("role")).containsExactly("user");
      assertThat(redisServer.server().command("GET", lockKey)).isEqualTo("someone-else");
    }
  }
}
