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
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node with API keys (shared/CONTRACT.md, "Keys"): every request but the health checks needs
 * {@code Authorization: Bearer <a key>}, and no key shows on /status, /metrics or in the log.
 */
class HttpKeysTest {

  // Distinctive, so that finding one anywhere cannot be a coincidence.
  private static final String KEY_1 = "k1-Qx7pLw2Zr9";
  private static final String KEY_2 = "k2-Ht4vNc8Ya3";
  private static final String WRONG = "k3-Wr0ngGu3ss5";

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

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
   * Verifies that a request without a key, with a wrong one, or with a key but not as a Bearer
   * credential answers 401 UNAUTHORIZED with WWW-Authenticate: Bearer, on an API route, /status,
   * /metrics and an unknown path alike (which it does not reveal).
   */
  @Test
  @DisplayName("No key, a wrong key or no Bearer: 401 UNAUTHORIZED with WWW-Authenticate")
  void requestsWithoutAValidKeyAre401() {
    for (String path : List.of("/v1/openapi.json", "/v1/chats/a-chat", "/status", "/metrics", "/nowhere")) {
      assertUnauthorized(new ApiClient(port).get(path));
      assertUnauthorized(new ApiClient(port, WRONG).get(path));
      assertUnauthorized(new ApiClient(port).send(HttpRequest.newBuilder(new ApiClient(port).uri(path))
          .header("authorization", KEY_1)));
    }
    assertUnauthorized(new ApiClient(port).post("/v1/assistants", new JsonObject().put("name", "intruder")));
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

    String status = api.get("/status").body();
    String metrics = api.get("/metrics").body();

    for (String secret : List.of(KEY_1, KEY_2, WRONG)) {
      assertThat(status).doesNotContain(secret);
      assertThat(metrics).doesNotContain(secret);
      assertThat(log.lines()).noneMatch(line -> line.contains(secret));
    }
    assertThat(log.lines()).as("the log was captured").anyMatch(line -> line.contains("ready http=" + port));
  }

  private static void assertUnauthorized(HttpResponse<String> response) {
    assertFailure(response, ErrorCode.UNAUTHORIZED);
    assertThat(response.headers().firstValue("www-authenticate")).hasValue("Bearer");
  }
}
