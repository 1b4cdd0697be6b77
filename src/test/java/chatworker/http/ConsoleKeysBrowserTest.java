package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Browser;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console on a node with API keys (shared/CONTRACT.md, "Console", "Keys") in a real Chromium:
 * without credentials the page is a 401 that asks for Basic credentials; with the key as the Basic
 * password, given once in the address (http://user:key@host/), the whole console works, its fetches
 * to /console/cluster and /v1 carrying the credentials Chromium cached for the origin, with nothing
 * added by the page or the test.
 *
 * <p>In order: the 401 first, while Chromium has no credentials cached for the origin (once it has
 * some, it sends them with every later request to it).
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleKeysBrowserTest {

  // Distinctive, so that finding it in the page cannot be a coincidence.
  private static final String KEY = "ck-Rb5mTq8Vz2";
  private static final String BASIC = "Basic realm=\"chat-worker\", charset=\"UTF-8\"";

  /** First, so that a machine without Chromium skips before a Redis or a node is started. */
  @RegisterExtension
  static Browser browser = new Browser();

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static ApiClient noKey;
  private static int port;

  @BeforeAll
  static void startNode() {
    port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(), new JsonObject().put("http", new JsonObject()
        .put("port", port).put("apiKeys", new JsonArray().add(KEY))));
    noKey = new ApiClient(port);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  /**
   * Verifies that without credentials GET / answers 401 UNAUTHORIZED with the Basic challenge (so a
   * browser asks for the key), and that Chromium, opening the page without them, gets that 401 and
   * shows no console: not its title, not its markup.
   */
  @Test
  @Order(1)
  @DisplayName("Without credentials: GET / is 401 with WWW-Authenticate: Basic, and Chromium shows no console")
  void withoutCredentialsThePageIs401() {
    HttpResponse<String> page = noKey.get("/");
    assertThat(page.statusCode()).isEqualTo(401);
    assertThat(page.headers().allValues("www-authenticate")).containsExactly(BASIC);
    assertThat(new JsonObject(page.body()).getString("code")).isEqualTo("UNAUTHORIZED");

    browser.open("http://127.0.0.1:" + port + "/");
    // Headless Chromium has no one to ask for the credentials: it gives up on the challenge and shows
    // its own error page, logging the 401 it got for the address.
    StringBuilder log = new StringBuilder();
    browser.until(d -> log.append(browser.consoleLog()).append('\n').toString()
        .contains("the server responded with a status of 401"), "Chromium to log the 401 of the page");
    assertThat(browser.driver().getTitle()).isNotEqualTo("chat-worker console");
    assertThat(browser.driver().getPageSource()).doesNotContain("tab-cluster");
    assertThat(browser.findAll("#tab-cluster")).isEmpty();
    browser.screenshot("console-keys-401");
  }

  /**
   * Verifies that with the key as the Basic password, given in the address of the navigation only,
   * the cluster view shows the member up and ready (its polls of /console/cluster pass), and the
   * playground creates an assistant and a chat and streams a reply to the end with the job record
   * shown (its calls to /v1 pass), no call of the page failing; and that the credentials ride on
   * Chromium's own cache: a plain fetch of /status from the page, which sets no header, answers 200.
   */
  @Test
  @Order(2)
  @DisplayName("With the key as the Basic password: the cluster view and the playground work in Chromium")
  void withTheKeyTheWholeConsoleWorks() {
    browser.open("http://console:" + KEY + "@127.0.0.1:" + port + "/");
    browser.until(d -> "chat-worker console".equals(d.getTitle()), "the console page");

    String member = "#members .member[data-node-id=\"test-node\"]";
    browser.until(d -> !browser.findAll(member + "[data-state=\"up\"]").isEmpty()
        && "ready".equals(browser.find(member + " .ready").getText()), "the member up and ready");
    assertThat(browser.find("#served-by").getText()).isEqualTo("test-node");
    assertThat(browser.find(member + " .breaker").getText()).isEqualTo("CLOSED");
    assertThat(browser.find("#cluster-error").isDisplayed()).isFalse();
    // The page's own fetches set no Authorization header; Chromium adds the cached Basic credentials.
    assertThat(browser.<Number>script("return fetch(new URL('/status', location.origin)).then(r => r.status)")
        .intValue())
        .as("a plain fetch of /status from the page").isEqualTo(200);
    browser.screenshot("console-keys-cluster");

    browser.click("#tab-playground");
    browser.type("#assistant-name", "keyed");
    browser.type("#assistant-token-delay", "5");
    browser.click("#assistant-create");
    String assistantId = browser.until(d -> browser.<String>script(
        "return document.querySelector('.assistant[aria-pressed=\"true\"]')?.dataset.id ?? null"),
        "the new assistant to be listed and selected");
    browser.until(d -> browser.find("#chat-create").isEnabled(), "New chat to be enabled");
    browser.click("#chat-create");
    String chatId = browser.until(d -> browser.<String>script(
        "return document.querySelector('.chat[aria-pressed=\"true\"]')?.dataset.id ?? null"), "the new chat to open");
    browser.until(d -> browser.find("#message-send").isEnabled(), "Send to be enabled");
    String text = "a reply streamed to a console that had to show its key first";
    browser.type("#message-text", text);
    browser.click("#message-send");

    browser.until(d -> browser.find("#job").isDisplayed()
        && "succeeded".equals(browser.find("#job [data-field=\"status\"]").getText()), "the job record to say succeeded");
    Map<String, Object> reply = browser.script(
        "const m = [...document.querySelectorAll('#messages .message[data-role=\"assistant\"]')].at(-1);"
        + "return {streaming: m.dataset.streaming, text: m.querySelector('.text').textContent}");
    assertThat(reply.get("streaming")).isEqualTo("false");
    assertThat(reply.get("text")).isEqualTo("You said: " + text);
    assertThat(browser.find("#playground-error").isDisplayed()).isFalse();

    // What the page made is on the node, read with the key.
    ApiClient api = new ApiClient(port, KEY);
    assertThat(ApiClient.ok(api.get("/v1/assistants/" + assistantId)).getString("name")).isEqualTo("keyed");
    JsonArray stored = api.messages(chatId);
    assertThat(stored.size()).isEqualTo(2);
    assertThat(stored.getJsonObject(1).getString("text")).isEqualTo(reply.get("text"));
    browser.screenshot("console-keys-playground");
  }
}
