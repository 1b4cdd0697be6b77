package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.cli.NodeVerticle;
import chatworker.testing.Await;
import chatworker.testing.Browser;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * The console's cluster view (shared/CONTRACT.md, "Console") in a real Chromium, over two clustered
 * nodes in this JVM sharing one Redis. One page stays open through all three tests, which run in
 * order: traffic on both members, Redis stopped and restarted, then the second member leaving. That
 * the page follows each change without a reload is part of what is tested.
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleClusterBrowserTest {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** Polls every 2 s, samples every 2 s: a change shows within a few seconds. */
  private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);

  /** First, so that a machine without Chromium skips before a Redis or a node is started. */
  @RegisterExtension
  static Browser browser = new Browser();

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static final List<ClusterMember> members = new ArrayList<>();
  private static final List<String> nodeIds = new ArrayList<>();

  /** The first member alone, then the second: it finds the first and joins its cluster. */
  @BeforeAll
  static void startNodesAndOpenTheConsole() {
    String clusterName = "cw-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = FreePorts.loopback(2);
    int httpPort = -1;
    for (int i = 0; i < 2; i++) {
      ClusterMember member = Await.await(ClusterMember.start(ClusterMember.settings(clusterName, ports.get(i), ports),
          false), START_TIMEOUT);
      members.add(member);
      NodeVerticle node = Await.await(member.startNode(TestNode.fastConfig(redis.server().url())), START_TIMEOUT);
      nodeIds.add(member.nodeId());
      if (i == 0) {
        httpPort = node.httpPort();
      }
    }
    members.forEach(m -> Await.until(() -> m.members().size() == 2, START_TIMEOUT, "both members to see each other"));
    browser.open("http://127.0.0.1:" + httpPort + "/");
    browser.until(d -> "chat-worker console".equals(d.getTitle()), "the console page");
    // Gone if the page ever reloads: the last test checks that it is still there.
    browser.script("window.loadedOnce = true");
  }

  /** The second member first: the first is the Hazelcast master, and a cluster closes faster that way. */
  @AfterAll
  static void closeMembers() {
    ClusterMember.closeAll(members);
  }

  /**
   * Verifies that the cluster view shows both members, up, ready and with a closed breaker, the
   * serving node named, the Redis topology, and with traffic running, a non-zero rate of successes
   * and of failures (TIMEOUT) per member, charts that draw them, and the failing code listed.
   */
  @Test
  @Order(1)
  @DisplayName("The cluster view shows both members with their rates, charts and failures while jobs run")
  void showsBothMembersWithTheirTraffic() throws Exception {
    browser.until(d -> upMembers() == 2, PAGE_TIMEOUT, "two members up");
    assertThat(browser.find("#served-by").getText()).isEqualTo(nodeIds.get(0));
    for (String nodeId : nodeIds) {
      assertThat(member(nodeId, ".breaker")).isEqualTo("CLOSED");
      assertThat(member(nodeId, ".ready")).isEqualTo("ready");
      assertThat(member(nodeId, ".tls")).isEqualTo("event bus in clear");
    }
    assertThat(browser.find("#topology .topology-mode").getText()).isEqualTo("standalone");
    assertThat(browser.find("#topology .masters").getText()).contains("127.0.0.1:" + redis.server().port());

    try (Traffic traffic = new Traffic(members.get(1))) {
      for (String nodeId : nodeIds) {
        browser.until(d -> positive(member(nodeId, ".rate-ok")) && positive(member(nodeId, ".rate-failed"))
            && !browser.findAll(card(nodeId) + " svg[data-chart=\"jobs\"] path.ok").isEmpty()
            && !browser.findAll(card(nodeId) + " svg[data-chart=\"jobs\"] path.failed").isEmpty()
            && !browser.findAll(card(nodeId) + " .failures li[data-code=\"TIMEOUT\"]").isEmpty(),
            PAGE_TIMEOUT, nodeId + " to show successes and failures per second");
      }
      // A few more samples, so that the charts show lines rather than dots (drawn as SVG, not inert tags).
      String segments = "const lines = [...document.querySelectorAll('svg[data-chart=\"jobs\"] path.ok')];"
          + "return lines.length < 2 ? 0 : Math.min(...lines.map(p => p instanceof SVGPathElement"
          + " && p.getTotalLength() > 0 ? p.getAttribute('d').split('L').length - 1 : 0))";
      browser.until(d -> browser.<Number>script(segments).intValue() >= 3, PAGE_TIMEOUT, "lines in the jobs charts");
      browser.screenshot("console-cluster");
    }
  }

  /**
   * Verifies that with Redis stopped each member shows its breaker OPEN and itself not ready, with
   * the reasons, and "—" for its Redis ping (titled "no connection to Redis") rather than the last
   * PING that succeeded, and that with Redis back each shows CLOSED, ready and a ping in ms again,
   * the page not reloaded.
   */
  @Test
  @Order(2)
  @DisplayName("Redis stopped shows breaker OPEN and not ready on every member; Redis back shows them recover")
  void showsRedisDownAndRecovers() throws Exception {
    browser.until(d -> upMembers() == 2, PAGE_TIMEOUT, "two members up");
    // Jobs keep running, as users would send them, so that the breaker sees the failures.
    try (Traffic traffic = new Traffic(members.get(0))) {
      redis.server().stop();
      for (String nodeId : nodeIds) {
        browser.until(d -> "OPEN".equals(member(nodeId, ".breaker")) && "not ready".equals(member(nodeId, ".ready"))
            && !member(nodeId, ".reasons").isEmpty(), PAGE_TIMEOUT, nodeId + " to show breaker OPEN and not ready");
        // The last PING that succeeded is history now: no number, and the title says why.
        browser.until(d -> "—".equals(member(nodeId, ".ping")), PAGE_TIMEOUT, nodeId + " to show no Redis ping");
        assertThat(browser.find(card(nodeId) + " .ping").getAttribute("title")).startsWith("no connection to Redis");
      }
      browser.screenshot("console-redis-down");

      redis.server().restart();
      for (String nodeId : nodeIds) {
        browser.until(d -> "CLOSED".equals(member(nodeId, ".breaker")) && "ready".equals(member(nodeId, ".ready"))
            && number(member(nodeId, ".ping")), PAGE_TIMEOUT, nodeId + " to show breaker CLOSED, ready and a ping again");
        assertThat(browser.find(card(nodeId) + " .ping").getAttribute("title")).doesNotContain("no connection");
      }
    }
    assertThat(browser.<Boolean>script("return window.loadedOnce === true")).as("the page was not reloaded").isTrue();
    browser.screenshot("console-redis-back");
  }

  /**
   * Verifies that a member that leaves the cluster stays on the page, greyed as gone with when it
   * left, while the other stays up, without a reload.
   */
  @Test
  @Order(3)
  @DisplayName("A member that stops shows as gone, the other stays up")
  void stoppedMemberShowsAsGone() {
    browser.until(d -> upMembers() == 2, PAGE_TIMEOUT, "two members up");
    String leaving = nodeIds.get(1);
    members.remove(1).close();

    browser.until(d -> "gone".equals(browser.find(card(leaving)).getAttribute("data-state")), PAGE_TIMEOUT,
        "the stopped member to show as gone");
    assertThat(upMembers()).isEqualTo(1);
    assertThat(browser.find(card(nodeIds.get(0))).getAttribute("data-state")).isEqualTo("up");
    assertThat(member(leaving, ".member-note")).startsWith("left the cluster at ");
    assertThat(browser.<Boolean>script("return window.loadedOnce === true")).as("the page was not reloaded").isTrue();
    browser.screenshot("console-member-gone");
  }

  private static long upMembers() {
    return browser.findAll("#members .member[data-state=\"up\"]").size();
  }

  private static String card(String nodeId) {
    return "#members .member[data-node-id=\"" + nodeId + "\"]";
  }

  /** The text of an element in a member's card. */
  private static String member(String nodeId, String css) {
    return browser.find(card(nodeId) + " " + css).getText();
  }

  private static boolean number(String text) {
    try {
      return Double.parseDouble(text) >= 0;
    } catch (NumberFormatException e) {
      return false; // "—" without Redis, "–" before the first PING
    }
  }

  private static boolean positive(String rate) {
    try {
      return Double.parseDouble(rate) > 0;
    } catch (NumberFormatException e) {
      return false; // "–" before the second sample
    }
  }

  /**
   * Generates sent through one member, spread over the cluster by the event bus: a few chats, one job
   * after another on each, every fourth with a deadline shorter than its reply takes (a TIMEOUT).
   * Failures (Redis down) are expected and ignored. Stops on close.
   */
  private static final class Traffic implements AutoCloseable {

    private static final int CHATS = 4;
    private final ExecutorService threads = Executors.newFixedThreadPool(CHATS);
    private final AtomicBoolean running = new AtomicBoolean(true);

    Traffic(ClusterMember client) {
      JsonObject model = new JsonObject().put("provider", "builtin")
          .put("options", new JsonObject().put("tokenDelayMs", 20));
      String assistantId = call(client, Addresses.ASSISTANTS_CREATE,
          new JsonObject().put("name", "traffic").put("model", model)).getString("id");
      for (int c = 0; c < CHATS; c++) {
        String chatId = call(client, Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId))
            .getString("id");
        threads.execute(() -> {
          for (int job = 0; running.get(); job++) {
            JsonObject generate = new JsonObject().put("chatId", chatId)
                .put("text", "job " + job + " of some steady traffic");
            if (job % 4 == 3) {
              generate.put("timeoutMs", 60);
            }
            try {
              Await.await(client.request(Addresses.GENERATE, generate), Duration.ofSeconds(30));
            } catch (RuntimeException expected) {
              // TIMEOUT on purpose, or STORE_UNAVAILABLE while Redis is down: counted by the nodes.
              // Paced, so that failing fast does not spin two shared cores (a pace, not a wait).
              Await.await(client.vertx().timer(50));
            }
          }
        });
      }
    }

    private static JsonObject call(ClusterMember client, String address, JsonObject body) {
      return Await.await(client.request(address, body), Duration.ofSeconds(30));
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      threads.shutdown();
      assertThat(threads.awaitTermination(40, TimeUnit.SECONDS)).as("traffic threads to end").isTrue();
    }
  }
}
