package chatworker.console;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console's routes on one whole node (not clustered: it is its own only member). */
class ConsoleRoutesTest {

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static TestNode node;

  @BeforeAll
  static void startNode() {
    node = new TestNode(redis.server().url());
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  /** Verifies that {@code GET /} is the page from the class path, as UTF-8 HTML with the console's title. */
  @Test
  @DisplayName("GET / is the page: text/html, UTF-8, with the console's title")
  void rootServesThePage() {
    HttpResponse<String> page = get(HttpRequest.newBuilder(node.uri("/")));

    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html")
        .containsIgnoringCase("charset=utf-8");
    assertThat(page.body()).contains("<title>chat-worker console</title>");
    assertThat(get(HttpRequest.newBuilder(node.uri("/console/index.html"))).body()).isEqualTo(page.body());
  }

  /**
   * Verifies that the page is revalidated rather than kept: no-cache with Last-Modified, and a
   * request with that date as If-Modified-Since answers 304 without a body.
   */
  @Test
  @DisplayName("Files revalidate: no-cache and Last-Modified, then 304")
  void filesAreRevalidated() {
    for (String path : new String[] {"/", "/console/index.html"}) {
      HttpResponse<String> first = get(HttpRequest.newBuilder(node.uri(path)));
      assertThat(first.headers().firstValue("cache-control")).as(path).hasValue("no-cache");
      String lastModified = first.headers().firstValue("last-modified").orElseThrow();

      HttpResponse<String> again = get(HttpRequest.newBuilder(node.uri(path)).header("if-modified-since", lastModified));

      assertThat(again.statusCode()).as(path).isEqualTo(304);
      assertThat(again.body()).isEmpty();
    }
  }

  /**
   * Verifies that a file the console does not have, a path outside its folder and its folder itself
   * list nothing: 404 with the contract's body, or the page for the folder.
   */
  @Test
  @DisplayName("An unknown file is 404 with the contract's body; no directory listing, no escape")
  void unknownFilesAre404() {
    for (String path : new String[] {"/console/nope.js", "/console/../logback.xml", "/console/%2e%2e/logback.xml"}) {
      HttpResponse<String> missing = get(HttpRequest.newBuilder(node.uri(path)));
      assertThat(missing.statusCode()).as(path).isEqualTo(404);
      assertThat(missing.headers().firstValue("content-type")).hasValue("application/json");
      JsonObject body = new JsonObject(missing.body());
      assertThat(body.fieldNames()).containsExactlyInAnyOrder("code", "message");
      assertThat(body.getString("code")).isEqualTo("NOT_FOUND");
    }
    HttpResponse<String> folder = get(HttpRequest.newBuilder(node.uri("/console/")));
    assertThat(folder.statusCode()).isEqualTo(200);
    assertThat(folder.body()).contains("<title>chat-worker console</title>");
  }

  /**
   * Verifies that {@code GET /console/cluster} on a node alone lists that node, answered, with its
   * /status (plus ready, models, startedAt) and a history that already holds a sample.
   */
  @Test
  @DisplayName("GET /console/cluster on a lone node lists it with its status and history")
  void clusterOfOne() {
    HttpResponse<String> response = get(HttpRequest.newBuilder(node.uri("/console/cluster")));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("servedBy", "at", "members");
    assertThat(body.getString("servedBy")).isEqualTo("test-node");
    assertThat(body.getJsonArray("members")).hasSize(1);
    JsonObject member = body.getJsonArray("members").getJsonObject(0);
    assertThat(member.getString("nodeId")).isEqualTo("test-node");
    assertThat(member.getBoolean("answered")).isTrue();
    JsonObject status = member.getJsonObject("status");
    assertThat(status.getString("nodeId")).isEqualTo("test-node");
    assertThat(status.getJsonObject("ready").getString("status")).isEqualTo("UP");
    assertThat(status.getJsonObject("models")).isEqualTo(new JsonObject().put("builtin", true).put("openai", false));
    assertThat(status.getLong("startedAt")).isPositive();
    assertThat(member.getJsonObject("history").getLong("periodMs")).isEqualTo(2_000);
    JsonObject sample = member.getJsonObject("history").getJsonArray("samples").getJsonObject(0);
    assertThat(sample.fieldNames()).containsExactlyInAnyOrder("at", "inFlight", "succeeded", "failed",
        "cancelled", "failedByCode", "pingMs", "reconnects", "breaker", "ready");
  }

  private static HttpResponse<String> get(HttpRequest.Builder request) {
    try {
      return http.sendAsync(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString())
          .get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
