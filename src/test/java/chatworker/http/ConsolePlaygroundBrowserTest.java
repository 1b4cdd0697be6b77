package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Browser;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console's playground (shared/CONTRACT.md, "Console") in a real Chromium: an
 * assistant and a chat made through the page, a reply streamed into it, and a cancel, all through
 * the node's public API from the page's own origin.
 */
@Tag("browser")
class ConsolePlaygroundBrowserTest {

  /** First, so that a machine without Chromium skips before a Redis or a node is started. */
  @RegisterExtension
  static Browser browser = new Browser();

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static ApiClient api;
  private static String consoleUrl;

  @BeforeAll
  static void startNode() {
    int port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(), new JsonObject().put("http", new JsonObject().put("port", port)));
    api = new ApiClient(port);
    consoleUrl = "http://127.0.0.1:" + port + "/";
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  /** Each test on a freshly loaded page, in the playground. */
  @BeforeEach
  void openPlayground() {
    browser.open(consoleUrl);
    browser.until(d -> "chat-worker console".equals(d.getTitle()), "the console page");
    browser.click("#tab-playground");
  }

  /**
   * Verifies that a reply is shown growing while it streams (two different non-empty lengths seen
   * while the message says data-streaming="true"), then ends with the job record saying succeeded,
   * and that the text shown is the one the node stored, as the chat reloaded from the server shows.
   */
  @Test
  @DisplayName("The playground streams a reply as it is written, then shows the stored text and the job")
  void streamsAReplyAndShowsTheStoredJob() {
    String assistantId = createAssistant("streamer", 40);
    String chatId = createChat();
    String text = "please tell me, word by word, how a circuit breaker keeps a node alive when Redis "
        + "goes away and how it closes again once the first health check answers in time";
    send(text);

    Set<Integer> lengths = new LinkedHashSet<>();
    browser.until(d -> {
      Map<String, Object> reply = streamingReply();
      if (reply != null && "true".equals(reply.get("streaming")) && ((Long) reply.get("length")) > 0) {
        lengths.add(((Long) reply.get("length")).intValue());
      }
      // Past a third of the text, for a screenshot that shows a reply being written.
      return lengths.size() >= 2 && lengths.stream().anyMatch(n -> n > text.length() / 3) ? reply : null;
    }, "two different lengths of the reply while it streams");
    browser.screenshot("console-playground");

    browser.until(d -> "false".equals(lastReply().get("streaming")), "the stream to end");
    browser.until(d -> "succeeded".equals(jobField("status")), "the job record to say succeeded");
    String shown = (String) lastReply().get("text");
    String jobId = jobField("jobId");
    assertThat(shown).isEqualTo("You said: " + text);
    assertThat(jobId).isEqualTo(lastReply().get("jobId"));
    assertThat(jobField("node")).isEqualTo("test-node");
    assertThat(jobField("usage")).contains("completion tokens");

    JsonArray stored = api.messages(chatId);
    assertThat(stored.size()).isEqualTo(2);
    assertThat(stored.getJsonObject(1).getString("text")).isEqualTo(shown);
    assertThat(stored.getJsonObject(1).getString("jobId")).isEqualTo(jobId);
    assertThat(browser.find("#assistants .assistant[aria-pressed=\"true\"]").getAttribute("data-id"))
        .isEqualTo(assistantId);

    // Reopened from the server, the chat shows the same two messages.
    browser.click(".chat[data-id=\"" + chatId + "\"]");
    browser.until(d -> browser.findAll("#messages .message").size() == 2
        && browser.findAll("#messages .message[data-streaming]").isEmpty(), "the chat reloaded from the server");
    assertThat(browser.find("#messages .message[data-role=\"assistant\"] .text").getText()).isEqualTo(shown);
    assertThat(browser.find("#messages .message[data-role=\"user\"] .text").getText()).isEqualTo(text);
    browser.screenshot("console-playground-done");
  }

  /**
   * Verifies that the cancel button stops a slow generation once it has streamed something: the
   * reply shows CANCELLED, the job record says cancelled, and the node stored no reply.
   */
  @Test
  @DisplayName("Cancel stops a streaming reply: the message shows CANCELLED and the job is cancelled")
  void cancelShowsCancelled() {
    createAssistant("slow", 300);
    String chatId = createChat();
    send("a slow answer to cancel before it is done, since every word takes its time to come out");

    browser.until(d -> {
      Map<String, Object> reply = streamingReply();
      return reply != null && ((Long) reply.get("length")) > 0 && browser.find("#job-cancel").isEnabled();
    }, "the first words of the slow reply");
    browser.click("#job-cancel");

    browser.until(d -> "false".equals(lastReply().get("streaming")), "the stream to end");
    browser.until(d -> "cancelled".equals(jobField("status")), "the job record to say cancelled");
    assertThat(browser.find("#messages .message[data-role=\"assistant\"]:last-child").getAttribute("data-error"))
        .isEqualTo("CANCELLED");
    assertThat(browser.find("#messages .message:last-child .message-error").getText()).startsWith("CANCELLED: ");
    assertThat(browser.find("#job-cancel").isEnabled()).isFalse();
    assertThat(browser.find("#playground-error").isDisplayed()).isFalse();
    List<String> roles = api.messages(chatId).stream().map(m -> ((JsonObject) m).getString("role")).toList();
    assertThat(roles).containsExactly("user");
    browser.screenshot("console-playground-cancelled");
  }

  /** Fills the assistant form and creates it; waits until it is listed and selected; its id. */
  private static String createAssistant(String name, int tokenDelayMs) {
    browser.type("#assistant-name", name);
    browser.type("#assistant-token-delay", Integer.toString(tokenDelayMs));
    String before = selectedAssistant();
    browser.click("#assistant-create");
    return browser.until(d -> {
      String selected = selectedAssistant();
      return selected != null && !selected.equals(before) ? selected : null;
    }, "the new assistant to be listed and selected");
  }

  private static String selectedAssistant() {
    return browser.script("return document.querySelector('.assistant[aria-pressed=\"true\"]')?.dataset.id ?? null");
  }

  /** Creates a chat for the selected assistant and waits until it is open; its id. */
  private static String createChat() {
    browser.until(d -> browser.find("#chat-create").isEnabled(), "New chat to be enabled");
    browser.click("#chat-create");
    return browser.until(d -> browser.<String>script(
        "return document.querySelector('.chat[aria-pressed=\"true\"]')?.dataset.id ?? null"), "the new chat to open");
  }

  private static void send(String text) {
    browser.until(d -> browser.find("#message-send").isEnabled(), "Send to be enabled");
    browser.type("#message-text", text);
    browser.click("#message-send");
  }

  /** The assistant message that is streaming now, read in one go: {streaming, length}; null if none. */
  private static Map<String, Object> streamingReply() {
    return browser.script(
        "const m = document.querySelector('.message[data-role=\"assistant\"][data-streaming=\"true\"]');"
        + "return m ? {streaming: m.dataset.streaming, length: m.querySelector('.text').textContent.length} : null");
  }

  /** The last assistant message: {streaming, text, jobId}. */
  private static Map<String, Object> lastReply() {
    return browser.script("const all = document.querySelectorAll('#messages .message[data-role=\"assistant\"]');"
        + "const m = all[all.length - 1];"
        + "return {streaming: m.dataset.streaming, text: m.querySelector('.text').textContent,"
        + " jobId: m.dataset.jobId}");
  }

  /** A field of the job record, or null while it is hidden. */
  private static String jobField(String name) {
    return browser.find("#job").isDisplayed() ? browser.find("#job [data-field=\"" + name + "\"]").getText() : null;
  }
}
