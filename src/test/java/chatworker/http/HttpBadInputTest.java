package chatworker.http;

import static chatworker.http.ApiClient.assertFailure;
import static chatworker.http.ApiClient.ok;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.model.BuiltinModel;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests the HTTP API refuses (shared/CONTRACT.md, "Failures": malformed body, wrong-typed or
 * missing field, value out of range, body too large), each with the contract's body naming what is
 * wrong; and a node that refused them all still serves.
 */
class HttpBadInputTest {

  /** The smallest limit the node accepts. */
  private static final int MAX_BODY_BYTES = 1_024;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static ApiClient api;
  private static int port;
  private static String chatId;

  /** A request, the status and code it must be refused with, and a word its message must hold. */
  record Bad(String what, Supplier<HttpResponse<String>> request, int status, ErrorCode code, String named) {
    @Override
    public String toString() {
      return what;
    }
  }

  @BeforeAll
  static void startNode() {
    port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(), new JsonObject().put("http", new JsonObject()
        .put("port", port).put("maxBodyBytes", MAX_BODY_BYTES)));
    api = new ApiClient(port);
    chatId = api.createChat(api.createAssistant(new JsonObject().put("name", "target")));
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  static Stream<Bad> badRequests() {
    String messages = "/v1/chats/" + chatId + "/messages";
    String generate = "/v1/chats/" + chatId + "/generate";
    String big = new JsonObject().put("name", "big").put("systemPrompt", "x".repeat(2 * MAX_BODY_BYTES))
        .encode();
    return Stream.of(
        invalid("malformed JSON", () -> api.post("/v1/assistants", "{\"name\": \"unfinished"), "body"),
        invalid("a JSON array for a body", () -> api.post("/v1/chats", "[1, 2]"), "body"),
        invalid("a number for the string text", () -> api.post(messages, "{\"text\": 5}"), "text"),
        invalid("an unknown field",
            () -> api.post("/v1/assistants", "{\"name\": \"x\", \"colour\": \"red\"}"), "colour"),
        invalid("no assistantId", () -> api.post("/v1/chats", "{\"name\": \"orphan\"}"), "assistantId"),
        invalid("a blank text", () -> api.post(generate, "{\"text\": \"   \"}"), "text"),
        invalid("tokenDelayMs over 1000", () -> api.post("/v1/assistants", new JsonObject().put("name", "x")
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 5_000)))),
            "tokenDelayMs"),
        invalid("a jobId with a space", () -> api.post(generate, "{\"jobId\": \"bad id\"}"), "jobId"),
        invalid("limit=0", () -> api.get(messages + "?limit=0"), "limit"),
        invalid("limit=1001", () -> api.get(messages + "?limit=1001"), "limit"),
        invalid("limit=abc", () -> api.get(messages + "?limit=abc"), "limit"),
        invalid("afterSeq=-1", () -> api.get(messages + "?afterSeq=-1"), "afterSeq"),
        invalid("a chat id with a dot", () -> api.get("/v1/chats/bad.id"), "'id'"),
        invalid("a jobId of 129 characters", () -> api.get("/v1/jobs/" + "j".repeat(129)), "jobId"),
        invalid("a bad Idempotency-Key", () -> api.send(HttpRequest.newBuilder(api.uri(generate))
            .header("idempotency-key", "bad key!").POST(HttpRequest.BodyPublishers.noBody())),
            "Idempotency-Key"),
        invalid("no Content-Type", () -> api.send(HttpRequest.newBuilder(api.uri("/v1/assistants"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\"}"))), "Content-Type"),
        invalid("Content-Type text/plain", () -> api.send(HttpRequest.newBuilder(api.uri("/v1/assistants"))
            .header("content-type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"x\"}"))), "Content-Type"),
        invalid("a body over maxBodyBytes", () -> api.post("/v1/assistants", big), "body"),
        invalid("a chunked body over maxBodyBytes (no Content-Length)", () -> api.send(
            HttpRequest.newBuilder(api.uri("/v1/assistants")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                    () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))), "body"),
        new Bad("an unknown path", () -> api.get("/v1/nothing-here"), 404, ErrorCode.NOT_FOUND,
            "/v1/nothing-here"),
        new Bad("an unknown method", () -> api.send(HttpRequest.newBuilder(api.uri("/v1/chats/" + chatId))
            .PUT(HttpRequest.BodyPublishers.noBody())), 405, ErrorCode.INVALID_REQUEST, "PUT"));
  }

  private static Bad invalid(String what, Supplier<HttpResponse<String>> request, String named) {
    return new Bad(what, request, 400, ErrorCode.INVALID_REQUEST, named);
  }

  /**
   * Verifies that each bad request is refused with its status and the contract's body
   * {@code {code, message}}, the message naming the field, parameter or header at fault.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  @DisplayName("A bad request is refused with {code, message} naming what is wrong")
  void badRequestIsRefusedNamingTheField(Bad bad) {
    String message = assertFailure(bad.request().get(), bad.status(), bad.code());

    assertThat(message).contains(bad.named());
  }

  /**
   * Verifies that a body announced as 50 MB is refused from its Content-Length alone: the answer, 400
   * naming 'body', arrives although only a few bytes of it were sent (a node that read the body whole
   * first would never answer).
   */
  @Test
  @DisplayName("A Content-Length of 50 MB is refused at once, with only a few bytes sent")
  void hugeContentLengthIsRefusedBeforeTheBodyIsRead() {
    try (RawHttp client = new RawHttp(port, -1)) {
      client.send("POST /v1/assistants HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + 50 * 1024 * 1024, "{\"name\": ");

      RawHttp.Response response = client.readResponse();

      assertThat(response.status()).isEqualTo(400);
      JsonObject body = new JsonObject(response.body());
      assertThat(body.getString("code")).isEqualTo(ErrorCode.INVALID_REQUEST.name());
      assertThat(body.getString("message")).contains("'body'").contains(Integer.toString(MAX_BODY_BYTES));
    }
  }

  /** Verifies that after every kind of bad request above, the node still serves: a generate succeeds. */
  @Test
  @DisplayName("After all the bad requests, a generate still succeeds")
  void nodeStillServesAfterBadInput() {
    badRequests().forEach(bad ->
        assertThat(bad.request().get().statusCode()).as(bad.what()).isEqualTo(bad.status()));
    hugeContentLengthIsRefusedBeforeTheBodyIsRead();

    JsonObject reply = ok(api.post("/v1/chats/" + chatId + "/generate",
        new JsonObject().put("text", "still there?")));

    assertThat(reply.getJsonObject("message").getString("text"))
        .isEqualTo(BuiltinModel.replyTo("still there?"));
  }
}
