package chatworker.http;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.CreateAssistantRequest;
import chatworker.api.CreateChatRequest;
import chatworker.api.CreateMessageRequest;
import chatworker.api.GenerateRequest;
import chatworker.api.ListMessagesRequest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.SecurityScheme;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenAPI document of the HTTP API ({@code openapi/chat-worker-api.json}) as Vert.x reads it: the
 * node's router is built from it and its requests are checked against it ({@link RequestChecks}), so it
 * must load, name the API's operations, and accept exactly the bodies the event-bus parsers accept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentTest {

  private static final String RESOURCE = "openapi/chat-worker-api.json";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private Vertx vertx;
  private OpenAPIContract contract;
  private HttpServer server;

  @BeforeAll
  void loadDocumentAndServeItsRouter() throws IOException {
    vertx = Vertx.vertx();
    contract = await(OpenAPIContract.from(vertx, document()));
    server = await(vertx.createHttpServer().requestHandler(router(contract)).listen(0, "127.0.0.1"));
  }

  @AfterAll
  void closeVertx() {
    await(vertx.close());
  }

  /**
   * Verifies that Vert.x's OpenAPI parser accepts the document (it fails on one that breaks the
   * OpenAPI 3.1 schema or uses a feature it does not support) and finds exactly the API's operations.
   */
  @Test
  @DisplayName("Vert.x parses the document and finds exactly the 11 operations of the HTTP API")
  void documentParsesWithTheApisOperations() {
    assertThat(contract.operations()).extracting(Operation::getOperationId).containsExactlyInAnyOrder(
        "createAssistant", "getAssistant", "deleteAssistant", "createChat", "getChat", "createMessage",
        "listMessages", "generate", "cancelJob", "getJob", "getOpenApi");
    SecurityScheme bearer = contract.securityScheme("bearer");
    assertThat(bearer.getType()).isEqualTo("http");
    assertThat(bearer.getScheme()).isEqualTo("bearer");
  }

  /** Verifies that a router with a handler on every operation builds from the document. */
  @Test
  @DisplayName("RouterBuilder builds a router with every operation routed")
  void routerBuilds() {
    assertThat(router(contract)).isNotNull();
    assertThat(RouterBuilder.create(vertx, contract).getRoutes()).hasSize(11);
  }

  static Stream<Arguments> bodies() {
    JsonObject big = new JsonObject().put("blob", "x".repeat(100));
    return Stream.of(
        // createAssistant
        assistant("name only", a -> a.put("name", "helper")),
        assistant("everything", a -> a.put("name", "helper").put("systemPrompt", "You help {{user}}.")
            .put("model", new JsonObject().put("provider", "openai").put("name", "gpt-4o-mini")
                .put("options", new JsonObject().put("temperature", 0.2)))
            .put("memory", new JsonObject().put("type", "message_window").put("maxMessages", 1000)
                .put("maxTokens", 1_000_000))
            .put("metadata", big)),
        assistant("nulls for optional fields", a -> a.put("name", "helper").putNull("systemPrompt")
            .putNull("model").putNull("memory").putNull("metadata")),
        assistant("no name", a -> a.put("systemPrompt", "p")),
        assistant("blank name", a -> a.put("name", "   ")),
        assistant("name of 201 characters", a -> a.put("name", "n".repeat(201))),
        assistant("name of 200 characters", a -> a.put("name", "n".repeat(200))),
        assistant("unknown field", a -> a.put("name", "helper").put("colour", "red")),
        assistant("unknown model field", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("temperature", 1))),
        assistant("unknown provider", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("provider", "skynet"))),
        assistant("openai without a model name", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("provider", "openai"))),
        assistant("openai with a blank model name", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("provider", "openai").put("name", " "))),
        assistant("builtin without a model name", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("provider", "builtin"))),
        assistant("tokenDelayMs 1000", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 1000)))),
        assistant("tokenDelayMs 1001", a -> a.put("name", "helper")
            .put("model", new JsonObject().put("options", new JsonObject().put("tokenDelayMs", 1001)))),
        assistant("unknown memory type", a -> a.put("name", "helper")
            .put("memory", new JsonObject().put("type", "infinite"))),
        assistant("maxMessages 0", a -> a.put("name", "helper")
            .put("memory", new JsonObject().put("maxMessages", 0))),
        assistant("maxTokens 1000001", a -> a.put("name", "helper")
            .put("memory", new JsonObject().put("maxTokens", 1_000_001))),
        assistant("metadata not an object", a -> a.put("name", "helper").put("metadata", "x")),
        // createChat
        chat("assistantId only", c -> c.put("assistantId", "a-1")),
        chat("everything", c -> c.put("assistantId", "a_1").put("name", "").put("metadata", big)),
        chat("no assistantId", c -> c.put("name", "support")),
        chat("assistantId with a dot", c -> c.put("assistantId", "a.1")),
        chat("assistantId of 129 characters", c -> c.put("assistantId", "a".repeat(129))),
        chat("name of 201 characters", c -> c.put("assistantId", "a").put("name", "n".repeat(201))),
        // createMessage: chatId comes from the path
        message("text", m -> m.put("text", "hello")),
        message("text and metadata", m -> m.put("text", "hello").put("metadata", big)),
        message("chatId in the body", m -> m.put("text", "hello").put("chatId", "c-1")),
        message("no text", m -> m.put("metadata", big)),
        message("blank text", m -> m.put("text", " \t")),
        message("text of 32768 characters", m -> m.put("text", "t".repeat(32_768))),
        message("text of 32769 characters", m -> m.put("text", "t".repeat(32_769))),
        message("text not a string", m -> m.put("text", 7)),
        // generate: chatId comes from the path, the stream from the response
        generate("nothing", g -> { }),
        generate("everything", g -> g.put("jobId", "job-1").put("text", "what is Redis?").put("stream", true)
            .put("timeoutMs", 600_000).put("systemPromptVariables", new JsonObject().put("user", "Ada")
                .put("n", 3).put("vip", true))),
        generate("streamAddress in the body", g -> g.put("stream", false).put("streamAddress", "client.42")),
        generate("chatId in the body", g -> g.put("chatId", "c-1")),
        generate("jobId with a slash", g -> g.put("jobId", "job/1")),
        generate("jobId of 128 characters", g -> g.put("jobId", "j".repeat(128))),
        generate("jobId of 129 characters", g -> g.put("jobId", "j".repeat(129))),
        generate("blank text", g -> g.put("text", "  ")),
        generate("stream not a boolean", g -> g.put("stream", "yes")),
        generate("timeoutMs 0", g -> g.put("timeoutMs", 0)),
        generate("timeoutMs 600001", g -> g.put("timeoutMs", 600_001)),
        generate("timeoutMs not whole", g -> g.put("timeoutMs", 1.5)),
        generate("variable not a scalar", g -> g.put("systemPromptVariables",
            new JsonObject().put("v", new JsonObject()))),
        generate("variable null", g -> g.put("systemPromptVariables", new JsonObject().putNull("v"))));
  }

  /**
   * Verifies that the router's validation, from the document, accepts exactly the bodies the
   * event-bus parser of the same address accepts (with the fields the HTTP layer adds: the path's
   * chatId, and a streamAddress for a stream). The parser-only checks (metadata's encoded size,
   * blanks of other Unicode spaces) are left out: both answer 400 there, the parser second.
   */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("bodies")
  @DisplayName("The router accepts exactly the bodies the event-bus parsers accept")
  void routerAgreesWithTheParsers(String operation, String what, String path, JsonObject body,
      boolean parserAccepts) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as("%s %s: %s", operation, what, response.body())
        .isEqualTo(parserAccepts ? 200 : 400);
  }

  /**
   * Verifies that the query and path parameters are checked as chat.messages.list's parser checks
   * them, and that generate, whose fields are all optional, may come without a body.
   */
  @Test
  @DisplayName("Path and query parameters are validated; generate needs no body")
  void parametersAndOptionalBody() throws Exception {
    assertThat(get("/v1/chats/c-1/messages")).isEqualTo(200);
    for (String query : new String[] {"limit=1", "limit=1000", "afterSeq=0",
        "limit=5&afterSeq=4611686018427387903"}) {
      assertThat(get("/v1/chats/c-1/messages?" + query)).as(query).isEqualTo(200);
      assertThat(parses(ListMessagesRequest::parse, listBody(query))).as(query).isTrue();
    }
    for (String query : new String[] {"limit=0", "limit=1001", "limit=1.5", "limit=x", "afterSeq=-1"}) {
      assertThat(get("/v1/chats/c-1/messages?" + query)).as(query).isEqualTo(400);
    }
    assertThat(get("/v1/chats/c.1/messages")).isEqualTo(400);
    assertThat(get("/v1/jobs/" + "j".repeat(129))).isEqualTo(400);
    assertThat(get("/v1/jobs/job-1")).isEqualTo(200);

    HttpResponse<String> noBody = http.send(HttpRequest.newBuilder(uri("/v1/chats/c-1/generate"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(noBody.statusCode()).isEqualTo(200);
    HttpResponse<String> badKey = http.send(HttpRequest.newBuilder(uri("/v1/chats/c-1/generate"))
        .header("Idempotency-Key", "job 1").POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(badKey.statusCode()).isEqualTo(400);
  }

  private static Arguments assistant(String what, Consumer<JsonObject> fill) {
    JsonObject body = filled(fill);
    return Arguments.of("createAssistant", what, "/v1/assistants", body,
        parses(CreateAssistantRequest::parse, body.copy()));
  }

  private static Arguments chat(String what, Consumer<JsonObject> fill) {
    JsonObject body = filled(fill);
    return Arguments.of("createChat", what, "/v1/chats", body, parses(CreateChatRequest::parse, body.copy()));
  }

  private static Arguments message(String what, Consumer<JsonObject> fill) {
    JsonObject body = filled(fill);
    // The HTTP layer puts the path's id into the body it sends; a chatId already there is unknown to HTTP.
    boolean accepted = !body.containsKey("chatId")
        && parses(CreateMessageRequest::parse, body.copy().put("chatId", "c-1"));
    return Arguments.of("createMessage", what, "/v1/chats/c-1/messages", body, accepted);
  }

  private static Arguments generate(String what, Consumer<JsonObject> fill) {
    JsonObject body = filled(fill);
    JsonObject sent = body.copy().put("chatId", "c-1");
    if (Boolean.TRUE.equals(body.getValue("stream"))) {
      sent.put("streamAddress", "http.stream.1");
    }
    boolean accepted = !body.containsKey("chatId") && !body.containsKey("streamAddress")
        && parses(GenerateRequest::parse, sent);
    return Arguments.of("generate", what, "/v1/chats/c-1/generate", body, accepted);
  }

  private static JsonObject filled(Consumer<JsonObject> fill) {
    JsonObject body = new JsonObject();
    fill.accept(body);
    return body;
  }

  private static JsonObject listBody(String query) {
    JsonObject body = new JsonObject().put("chatId", "c-1");
    for (String pair : query.split("&")) {
      String[] nameValue = pair.split("=");
      body.put(nameValue[0], Long.parseLong(nameValue[1]));
    }
    return body;
  }

  private static boolean parses(Function<Object, ?> parser, JsonObject body) {
    try {
      parser.apply(body);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The node's way: a body handler (with its size limit), and on every operation the node's
   * {@link RequestChecks} (400 when it refuses) before a handler answering 200.
   */
  private Router router(OpenAPIContract contract) {
    RouterBuilder builder = RouterBuilder.create(vertx, contract)
        .rootHandler(BodyHandler.create().setBodyLimit(1 << 20));
    for (OpenAPIRoute route : builder.getRoutes()) {
      RequestChecks checks = new RequestChecks(contract.getSchemaRepository(), route.getOperation(), null);
      // Vert.x binds an http bearer scheme only to a JWTAuthHandler; the node checks its API keys itself.
      route.setDoSecurity(false).setDoValidation(false).addHandler(rc -> rc.response()
          .setStatusCode(checks.check(rc) == null ? 200 : 400).end());
    }
    return builder.createRouter();
  }

  private int get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }

  private static JsonObject document() throws IOException {
    try (InputStream in = OpenApiDocumentTest.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      assertThat(in).as(RESOURCE + " on the classpath").isNotNull();
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
