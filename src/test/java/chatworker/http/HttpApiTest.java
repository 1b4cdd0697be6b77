package chatworker.http;

import static chatworker.http.ApiClient.assertFailure;
import static chatworker.http.ApiClient.created;
import static chatworker.http.ApiClient.expect;
import static chatworker.http.ApiClient.ok;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.model.BuiltinModel;
import chatworker.testing.Await;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP API's routes on a real node (shared/CONTRACT.md, "HTTP API"): each one's success, the
 * contract's failures as {@code {code, message}} with the code's number as status, idempotent
 * generates, and the request metrics and access log by route template.
 */
class HttpApiTest {

  private static final String NODE_ID = "test-node";
  private static final Pattern SAMPLE =
      Pattern.compile("chatworker_http_requests_seconds_count\\{(.*)} (\\S+)");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static CapturedLog accessLog;
  private static TestNode node;
  private static ApiClient api;

  @BeforeAll
  static void startNode() {
    accessLog = new CapturedLog("chatworker.http.access");
    int port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(),
        new JsonObject().put("http", new JsonObject().put("port", port)));
    api = new ApiClient(port);
  }

  @AfterAll
  static void stopNode() {
    node.close();
    accessLog.close();
  }

  /** Verifies that an assistant is created (201, with an id), read and deleted (200), then is gone (404). */
  @Test
  @DisplayName("POST /v1/assistants 201, GET and DELETE /v1/assistants/{id} 200, then 404")
  void assistantLifecycle() {
    JsonObject assistant = created(api.post("/v1/assistants",
        new JsonObject().put("name", "Ada").put("systemPrompt", "Be brief.")));
    String id = assistant.getString("id");
    assertThat(id).isNotBlank();
    assertThat(assistant.getString("name")).isEqualTo("Ada");
    assertThat(assistant.getJsonObject("model").getString("provider")).isEqualTo("builtin");

    assertThat(ok(api.get("/v1/assistants/" + id))).isEqualTo(assistant);
    assertThat(ok(api.delete("/v1/assistants/" + id)))
        .isEqualTo(new JsonObject().put("id", id).put("deleted", true));

    assertFailure(api.get("/v1/assistants/" + id), ErrorCode.NOT_FOUND);
  }

  /**
   * Verifies that a chat is created (201) and read (200), that user messages are added (201, role
   * user, seq 1, 2, 3) and listed oldest first, with limit and afterSeq paging.
   */
  @Test
  @DisplayName("Chats 201 and 200; messages 201 with role user and seq; listed by limit and afterSeq")
  void chatsAndMessages() {
    String assistantId = api.createAssistant(new JsonObject().put("name", "listener"));
    JsonObject chat = created(api.post("/v1/chats",
        new JsonObject().put("assistantId", assistantId).put("name", "c")));
    String chatId = chat.getString("id");
    assertThat(chat.getString("assistantId")).isEqualTo(assistantId);
    assertThat(chat.getInteger("messageCount")).isZero();
    assertThat(ok(api.get("/v1/chats/" + chatId)).getString("id")).isEqualTo(chatId);

    for (int i = 1; i <= 3; i++) {
      JsonObject message = created(api.post("/v1/chats/" + chatId + "/messages",
          new JsonObject().put("text", "m" + i)));
      assertThat(message.getString("role")).isEqualTo("user");
      assertThat(message.getString("chatId")).isEqualTo(chatId);
      assertThat(message.getString("text")).isEqualTo("m" + i);
      assertThat(message.getLong("seq")).isEqualTo(i);
    }

    assertThat(seqs(chatId, "")).containsExactly(1L, 2L, 3L);
    assertThat(seqs(chatId, "?limit=2")).containsExactly(1L, 2L);
    assertThat(seqs(chatId, "?afterSeq=1")).containsExactly(2L, 3L);
    assertThat(seqs(chatId, "?afterSeq=1&limit=1")).containsExactly(2L);
    assertThat(ok(api.get("/v1/chats/" + chatId)).getInteger("messageCount")).isEqualTo(3);
  }

  /**
   * Verifies that POST generate answers 200 with the assistant's message (the builtin reply to the
   * text), the node that ran it and its jobId, and that GET /v1/jobs/{jobId} then reads succeeded with
   * that reply.
   */
  @Test
  @DisplayName("POST generate 200 with the assistant's message and node; GET /v1/jobs/{jobId} succeeded")
  void generateThenReadTheJob() {
    String chatId = api.createChat(api.createAssistant(new JsonObject().put("name", "echo")));

    JsonObject reply = ok(api.post("/v1/chats/" + chatId + "/generate",
        new JsonObject().put("text", "hello there")));

    JsonObject message = reply.getJsonObject("message");
    assertThat(message.getString("role")).isEqualTo("assistant");
    assertThat(message.getString("text")).isEqualTo(BuiltinModel.replyTo("hello there"));
    assertThat(message.getLong("seq")).isEqualTo(2L);
    assertThat(reply.getString("node")).isEqualTo(NODE_ID);
    assertThat(reply.getString("chatId")).isEqualTo(chatId);
    JsonObject job = api.job(reply.getString("jobId"));
    assertThat(job.getString("status")).isEqualTo("succeeded");
    assertThat(job.getString("chatId")).isEqualTo(chatId);
    assertThat(job.getJsonObject("result").getJsonObject("message").getString("id"))
        .isEqualTo(message.getString("id"));
  }

  /** Verifies that GET /v1/openapi.json answers 200 with exactly the document the node was built from. */
  @Test
  @DisplayName("GET /v1/openapi.json 200 is the resource document")
  void openApiDocumentIsServed() throws IOException {
    JsonObject document;
    try (InputStream in = HttpApi.class.getClassLoader().getResourceAsStream(HttpApi.DOCUMENT)) {
      document = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    assertThat(ok(api.get("/v1/openapi.json"))).isEqualTo(document);
  }

  /**
   * Verifies that every route on an assistant, chat or job that does not exist answers 404 NOT_FOUND
   * with the contract's body.
   */
  @Test
  @DisplayName("Unknown assistant, chat or job: 404 NOT_FOUND on every route")
  void unknownIdsAreNotFound() {
    assertFailure(api.get("/v1/assistants/no-such-assistant"), ErrorCode.NOT_FOUND);
    assertFailure(api.delete("/v1/assistants/no-such-assistant"), ErrorCode.NOT_FOUND);
    JsonObject hi = new JsonObject().put("text", "hi");
    assertFailure(api.post("/v1/chats", new JsonObject().put("assistantId", "no-such-assistant")),
        ErrorCode.NOT_FOUND);
    assertFailure(api.get("/v1/chats/no-such-chat"), ErrorCode.NOT_FOUND);
    assertFailure(api.post("/v1/chats/no-such-chat/messages", hi), ErrorCode.NOT_FOUND);
    assertFailure(api.get("/v1/chats/no-such-chat/messages"), ErrorCode.NOT_FOUND);
    assertFailure(api.post("/v1/chats/no-such-chat/generate", hi), ErrorCode.NOT_FOUND);
    assertFailure(api.get("/v1/jobs/no-such-job"), ErrorCode.NOT_FOUND);
  }

  /**
   * Verifies that while a slow generate holds a chat, another generate on it answers 423 CHAT_LOCKED,
   * a message on it 423, and the same jobId again 409 JOB_IN_PROGRESS; and that the cancel (202
   * {jobId}) makes the first answer 499 CANCELLED and its job read cancelled.
   */
  @Test
  @DisplayName("While a generate runs: 423 CHAT_LOCKED, 409 JOB_IN_PROGRESS; cancel 202, then 499 CANCELLED")
  void lockedChatAndRunningJob() {
    String chatId = api.createChat(api.createAssistant("slow", 50)); // 200 words: 10 s unless cancelled
    String jobId = "long-" + UUID.randomUUID();
    String generate = "/v1/chats/" + chatId + "/generate";
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() ->
        api.post(generate, new JsonObject().put("jobId", jobId).put("text", HttpStreamTest.words(200))));
    api.awaitJob(jobId, "running");

    assertFailure(api.post(generate, new JsonObject().put("jobId", "other-" + UUID.randomUUID())),
        ErrorCode.CHAT_LOCKED);
    assertFailure(api.post(generate, new JsonObject().put("jobId", jobId)), ErrorCode.JOB_IN_PROGRESS);
    assertFailure(api.post("/v1/chats/" + chatId + "/messages", new JsonObject().put("text", "me too")),
        ErrorCode.CHAT_LOCKED);
    assertThat(expect(api.post("/v1/jobs/" + jobId + "/cancel"), 202))
        .isEqualTo(new JsonObject().put("jobId", jobId));

    assertFailure(Await.untilPresent(() -> first.isDone() ? first.join() : null, Duration.ofSeconds(20),
        "the cancelled generate's answer"), ErrorCode.CANCELLED);
    assertThat(api.job(jobId).getString("status")).isEqualTo("cancelled");
  }

  /**
   * Verifies that the same generate sent twice with one Idempotency-Key answers the same reply (the
   * same message id) and leaves one user and one assistant message in the chat; and that a header
   * that differs from the body's jobId is 400 naming Idempotency-Key.
   */
  @Test
  @DisplayName("Same Idempotency-Key twice: same reply, one assistant message; header ≠ body jobId: 400")
  void idempotencyKey() {
    String chatId = api.createChat(api.createAssistant(new JsonObject().put("name", "once")));
    String key = "idem-" + UUID.randomUUID();
    String generate = "/v1/chats/" + chatId + "/generate";

    JsonObject firstReply = ok(generateWithKey(generate, key, new JsonObject().put("text", "only once")));
    JsonObject secondReply = ok(generateWithKey(generate, key, new JsonObject().put("text", "only once")));

    assertThat(firstReply.getString("jobId")).isEqualTo(key);
    assertThat(secondReply.getJsonObject("message").getString("id"))
        .isEqualTo(firstReply.getJsonObject("message").getString("id"));
    assertThat(secondReply.getJsonObject("message")).isEqualTo(firstReply.getJsonObject("message"));
    JsonArray messages = api.messages(chatId);
    assertThat(messages.stream().map(m -> ((JsonObject) m).getString("role")))
        .as("the text appended once, one reply").containsExactly("user", "assistant");

    String message = assertFailure(generateWithKey(generate, "header-" + UUID.randomUUID(),
        new JsonObject().put("jobId", "body-" + UUID.randomUUID())), ErrorCode.INVALID_REQUEST);
    assertThat(message).contains("Idempotency-Key");
  }

  /**
   * Verifies that requests are timed on /metrics by route template (never the concrete path), method
   * and status, and that the access log names the template and not the id.
   */
  @Test
  @DisplayName("/metrics counts requests by route template and status; the access log names the template")
  void requestMetricsAndAccessLogUseTheTemplate() {
    String chatId = api.createChat(api.createAssistant(new JsonObject().put("name", "measured")));
    ok(api.get("/v1/chats/" + chatId));
    ok(api.get("/v1/chats/" + chatId));
    assertFailure(api.get("/v1/chats/missing-" + UUID.randomUUID()), ErrorCode.NOT_FOUND);

    String metrics = node.body("/metrics");

    assertThat(count(metrics, "/v1/chats/{id}", "GET", "200")).isGreaterThanOrEqualTo(2);
    assertThat(count(metrics, "/v1/chats/{id}", "GET", "404")).isGreaterThanOrEqualTo(1);
    assertThat(metrics).doesNotContain(chatId);
    List<String> lines = Await.untilPresent(() -> {
      List<String> chatGets = accessLog.lines().stream()
          .filter(l -> l.contains("\"route\":\"/v1/chats/{id}\"") && l.contains("\"method\":\"GET\""))
          .toList();
      return chatGets.size() >= 3 ? chatGets : null;
    }, Duration.ofSeconds(5), "access log lines of GET /v1/chats/{id}");
    assertThat(lines).anySatisfy(l -> assertThat(logLine(l).getInteger("status")).isEqualTo(200))
        .anySatisfy(l -> assertThat(logLine(l).getInteger("status")).isEqualTo(404));
    assertThat(accessLog.lines()).noneMatch(l -> l.contains(chatId));
  }

  private static HttpResponse<String> generateWithKey(String path, String key, JsonObject body) {
    return api.send(HttpRequest.newBuilder(api.uri(path)).header("content-type", "application/json")
        .header("idempotency-key", key).POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private static List<Long> seqs(String chatId, String query) {
    return ok(api.get("/v1/chats/" + chatId + "/messages" + query)).getJsonArray("messages").stream()
        .map(m -> ((JsonObject) m).getLong("seq")).toList();
  }

  private static JsonObject logLine(String line) {
    return new JsonObject(line);
  }

  /** The count of chatworker_http_requests_seconds with these labels (0 when there is none). */
  private static double count(String metrics, String route, String method, String status) {
    for (String line : metrics.split("\n")) {
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        continue;
      }
      Matcher label = LABEL.matcher(sample.group(1));
      Map<String, String> labels = new HashMap<>();
      while (label.find()) {
        labels.put(label.group(1), label.group(2));
      }
      Map<String, String> wanted = Map.of("route", route, "method", method, "status", status);
      if (labels.entrySet().containsAll(wanted.entrySet())) {
        return Double.parseDouble(sample.group(2));
      }
    }
    return 0;
  }
}
