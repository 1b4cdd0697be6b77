package chatworker.http;

import static chatworker.http.ApiClient.assertFailure;
import static chatworker.http.ApiClient.created;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with API keys (shared/CONTRACT.md, "Keys"): every request but the health checks needs
 * {@code Authorization: Bearer <a key>} or Basic credentials with a key as the password, a 401 names
 * the scheme to use (Basic on the console, Bearer elsewhere), and no key shows on /status, /metrics or
 * in the log.
 */
class HttpKeysTest {

  // Distinctive, so that finding one anywhere cannot be a coincidence.
  private static final String KEY_1 = "k1-Qx7pLw2Zr9";
  private static final String KEY_2 = "k2-Ht4vNc8Ya3";
  private static final String WRONG = "k3-Wr0ngGu3ss5";

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static final String BEARER = "Bearer realm=\"chat-worker\"";
  private static final String BASIC = "Basic realm=\"chat-worker\", charset=\"UTF-8\"";

  private static CapturedLog log;
  private static TestNode node;
  private static int port;

  @BeforeAll
  static void startNode() {
    log = new CapturedLog(org.slf4j.Logger.ROOT_LOGGER_NAME); // before the node starts: its start too
    port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(), new JsonObject().put("http", new JsonObject()
        .put("port", port).put("apiKeys", new JsonArray().add(KEY_1).add(KEY_2))));
  }

  @AfterAll
  static void stopNode() {
    node.close();
    log.close();
  }

  /**
   * Verifies that a request without a key, with a wrong one, with a key but not as a Bearer
   * credential, or with Basic credentials that carry no key answers 401 UNAUTHORIZED with
   * {@code WWW-Authenticate: Bearer realm="chat-worker"}, on an API route, /status, /metrics and an
   * unknown path alike (which it does not reveal).
   */
  @Test
  @DisplayName("No key, a wrong key or no Bearer: 401 UNAUTHORIZED with WWW-Authenticate: Bearer")
  void requestsWithoutAValidKeyAre401() {
    for (String path : List.of("/v1/openapi.json", "/v1/chats/a-chat", "/status", "/metrics", "/nowhere")) {
      assertUnauthorized(new ApiClient(port).get(path), BEARER);
      assertUnauthorized(new ApiClient(port, WRONG).get(path), BEARER);
      assertUnauthorized(withAuthorization(path, KEY_1), BEARER);
      assertUnauthorized(withAuthorization(path, basic("console:" + WRONG)), BEARER);
    }
    assertUnauthorized(new ApiClient(port).post("/v1/assistants", new JsonObject().put("name", "intruder")), BEARER);
  }

  /**
   * Verifies that the console's paths ({@code /}, its files, {@code /console/cluster}) answer a
   * request without a valid key with 401 and {@code WWW-Authenticate: Basic realm="chat-worker",
   * charset="UTF-8"}, which makes a browser ask for the key: no header, a wrong key as password, the
   * key as user name, an empty password, a malformed Basic value, a wrong Bearer key.
   */
  @Test
  @DisplayName("The console's paths without a valid key: 401 with WWW-Authenticate: Basic")
  void consoleAsksForBasicCredentials() {
    for (String path : List.of("/", "/console/", "/console/index.html", "/console/nope.js", "/console/cluster")) {
      assertUnauthorized(new ApiClient(port).get(path), BASIC);
      assertUnauthorized(withAuthorization(path, basic("console:" + WRONG)), BASIC);
      assertUnauthorized(withAuthorization(path, basic(KEY_1 + ":")), BASIC);
      assertUnauthorized(withAuthorization(path, basic("console:")), BASIC);
      assertUnauthorized(withAuthorization(path, "Basic not-base64!"), BASIC);
      assertUnauthorized(new ApiClient(port, WRONG).get(path), BASIC);
    }
  }

  /**
   * Verifies that Basic credentials with a key as the password and any user name open every path: the
   * page, /console/cluster, the API (read and write), /status and /metrics.
   */
  @Test
  @DisplayName("Basic with a key as the password, any user: 200 on the console, the API, /status, /metrics")
  void basicWithAKeyIsAccepted() {
    ApiClient noKey = new ApiClient(port);
    for (String credentials : List.of("console:" + KEY_1, "anyone else:" + KEY_2, ":" + KEY_1)) {
      String authorization = basic(credentials);
      HttpResponse<String> page = withAuthorization("/", authorization);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<title>chat-worker console</title>");
      for (String path : List.of("/console/cluster", "/v1/openapi.json", "/status", "/metrics")) {
        assertThat(withAuthorization(path, authorization).statusCode()).as(path).isEqualTo(200);
      }
      HttpResponse<String> create = noKey.send(HttpRequest.newBuilder(noKey.uri("/v1/assistants"))
          .header("authorization", authorization).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"by-basic\"}")));
      assertThat(created(create).getString("name")).isEqualTo("by-basic");
    }
  }

  /** Verifies that either key opens every route: the API, /status and /metrics. */
  @Test
  @DisplayName("Either key: 200 on the API, /status and /metrics")
  void eitherKeyIsAccepted() {
    for (String key : List.of(KEY_1, KEY_2)) {
      ApiClient api = new ApiClient(port, key);
      String chatId = api.createChat(api.createAssistant(new JsonObject().put("name", "allowed")));
      assertThat(ApiClient.ok(api.get("/v1/chats/" + chatId)).getString("id")).isEqualTo(chatId);
      assertThat(api.get("/v1/openapi.json").statusCode()).isEqualTo(200);
      assertThat(api.get("/status").statusCode()).isEqualTo(200);
      assertThat(api.get("/metrics").statusCode()).isEqualTo(200);
    }
    // The scheme is case-insensitive (RFC 9110, 11.1).
    ApiClient noKey = new ApiClient(port);
    HttpResponse<String> lowercase = noKey.send(HttpRequest.newBuilder(noKey.uri("/v1/assistants"))
        .header("authorization", "bearer " + KEY_2).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"lowercase\"}")));
    assertThat(created(lowercase).getString("name")).isEqualTo("lowercase");
  }

  /** Verifies that /health/live and /health/ready answer 200 without a key. */
  @Test
  @DisplayName("/health/live and /health/ready need no key")
  void healthNeedsNoKey() {
    assertThat(new ApiClient(port).get("/health/live").statusCode()).isEqualTo(200);
    assertThat(new ApiClient(port).get("/health/ready").statusCode()).isEqualTo(200);
  }

  /**
   * Verifies that after requests with both keys and a wrong one, no key (nor the wrong one) appears on
   * /status, on /metrics, or in anything the node logged since it started.
   */
  @Test
  @DisplayName("No key on /status, /metrics or in the node's log")
  void keysAreNeverShown() {
    ApiClient api = new ApiClient(port, KEY_1);
    api.createChat(api.createAssistant(new JsonObject().put("name", "quiet")));
    new ApiClient(port, KEY_2).get("/v1/openapi.json");
    new ApiClient(port, WRONG).get("/v1/openapi.json");
    withAuthorization("/", basic("console:" + KEY_2));
    withAuthorization("/console/cluster", basic("console:" + WRONG));

    String status = api.get("/status").body();
    String metrics = api.get("/metrics").body();

    for (String secret : List.of(KEY_1, KEY_2, WRONG, base64("console:" + KEY_2), base64("console:" + WRONG))) {
      assertThat(status).doesNotContain(secret);
      assertThat(metrics).doesNotContain(secret);
      assertThat(log.lines()).noneMatch(line -> line.contains(secret));
    }
    assertThat(log.lines()).as("the log was captured").anyMatch(line -> line.contains("ready http=" + port));
  }

  private static void assertUnauthorized(HttpResponse<String> response, String challenge) {
    assertFailure(response, ErrorCode.UNAUTHORIZED);
    assertThat(response.headers().allValues("www-authenticate")).as(response.request().uri().toString())
        .containsExactly(challenge);
    for (String secret : List.of(KEY_1, KEY_2, WRONG)) {
      assertThat(response.body()).doesNotContain(secret);
    }
  }

  private static HttpResponse<String> withAuthorization(String path, String authorization) {
    ApiClient client = new ApiClient(port);
    return client.send(HttpRequest.newBuilder(client.uri(path)).header("authorization", authorization));
  }

  private static String basic(String credentials) {
    return "Basic " + base64(credentials);
  }

  private static String base64(String credentials) {
    return Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }
}
