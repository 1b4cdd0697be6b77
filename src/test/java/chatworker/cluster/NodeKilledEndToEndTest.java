package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three node processes and a {@code submit} process on loopback, one Redis; one node is killed with
 * SIGKILL while jobs run. The nodes are started from the test classpath ({@link JavaProcess}), the
 * same code as the jar's, so the test needs no {@code mvn package} before it.
 */
class NodeKilledEndToEndTest {

  private static final int JOBS = 1_000;
  private static final int CHATS = 100;
  /** Short, so that the dead node's locks free themselves within the test; the shipped default is 15 s. */
  private static final long LEASE_MS = 3_000;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private ProcessCluster cluster;

  @AfterEach
  void killEveryProcess() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Verifies that when a node is killed with SIGKILL in the middle of 1,000 generates, the client's
   * resends (same jobIds) complete every job, each jobId leaves exactly one user and one assistant
   * message in its chat and a succeeded job record, no chat lock outlives its lease, and the
   * survivors drop the dead node from their cluster.
   */
  @Test
  @DisplayName("kill -9 of a node mid-run: every job completes exactly once, locks expire, survivors forget it")
  void killedNodeIsSurvived() throws IOException {
    cluster = ProcessCluster.start("node-killed", redis.server().url(), 3, ProcessCluster.nodeKillOverrides(LEASE_MS));
    // The first node is Hazelcast's master: its death also moves the master role and its partitions.
    NodeProcess victim = cluster.node(0);
    List<NodeProcess> survivors = cluster.nodes().subList(1, 3);
    Path out = cluster.dir().resolve("jobs.jsonl");
    long started = System.nanoTime();
    JavaProcess submit = cluster.submit("submit", List.of("--count", Integer.toString(JOBS),
        "--chats", Integer.toString(CHATS), "--concurrency", "16", "--token-delay-ms", "10",
        "--job-prefix", "kill", "--out", out.toString(), "--request-timeout-ms", "2000",
        "--give-up-after-ms", "100000"));

    Await.until(() -> {
      if (!submit.isAlive()) {
        throw new AssertionError("submit ended before the kill\n" + cluster.logTails(30));
      }
      return succeeded(cluster.nodes()) >= 100 && victim.jobs().getInteger("inFlight") > 0;
    }, Duration.ofSeconds(120), "100 jobs done and some running on " + victim.name());
    long killedAt = System.nanoTime();
    victim.process().kill();

    int exit = submit.awaitExit(Duration.ofSeconds(150));
    System.out.printf("killed %s %d ms after submit started; submit done %d ms after the kill: %s%n", victim.name(),
        (killedAt - started) / 1_000_000, (System.nanoTime() - killedAt) / 1_000_000, submit.stdout().trim());
    JsonObject summary = lastJsonLine(submit.stdout(), cluster);
    assertThat(exit).as("submit exit code; summary %s%n%s", summary, cluster.logTails(30)).isZero();
    assertThat(summary.getInteger("succeeded")).isEqualTo(JOBS);
    assertThat(summary.getInteger("noAnswer")).isZero();
    assertThat(summary.getJsonObject("failedByCode")).isEmpty();
    assertThat(summary.getInteger("resent")).as("jobs resent after the kill").isPositive();

    Map<String, List<String>> jobsByChat = jobsByChat(out);
    assertThat(jobsByChat).hasSize(CHATS);
    assertThat(jobsByChat.values().stream().mapToInt(List::size).sum()).isEqualTo(JOBS);
    RedisChats chats = new RedisChats(redis.server());
    jobsByChat.forEach((chatId, jobIds) -> assertChatHoldsEachJobOnce(chats, chatId, jobIds));

    Await.until(() -> chats.lockedChats(jobsByChat.keySet()).isEmpty(), Duration.ofMillis(LEASE_MS + 5_000),
        "every chat lock gone within the lease");
    for (NodeProcess survivor : survivors) {
      Await.until(() -> !survivor.clusterMembers().contains(victim.nodeId()), Duration.ofSeconds(30),
          survivor.name() + " to drop " + victim.name() + " from its members");
      assertThat(survivor.clusterMembers()).contains(survivors.get(0).nodeId(), survivors.get(1).nodeId());
    }
  }

  /** Messages in job order: the user's text once, then the one assistant reply made by that jobId. */
  private static void assertChatHoldsEachJobOnce(RedisChats chats, String chatId, List<String> jobIds) {
    List<JsonObject> messages = chats.messages(chatId);
    assertThat(messages).as("messages of chat %s", chatId).hasSize(2 * jobIds.size());
    for (int i = 0; i < jobIds.size(); i++) {
      String jobId = jobIds.get(i);
      JsonObject user = messages.get(2 * i);
      JsonObject assistant = messages.get(2 * i + 1);
      assertThat(user.getString("role")).as("message %d of chat %s", 2 * i, chatId).isEqualTo("user");
      assertThat(user.getString("text")).isEqualTo("message " + jobId);
      assertThat(assistant.getString("role")).as("message %d of chat %s", 2 * i + 1, chatId).isEqualTo("assistant");
      assertThat(assistant.getString("jobId")).isEqualTo(jobId);
      assertThat(assistant.getString("chatId")).isEqualTo(chatId);
      assertThat(assistant.getString("text")).isEqualTo("You said: message " + jobId);
      assertThat(chats.jobStatus(chatId, jobId)).as("record of job %s", jobId).isEqualTo("succeeded");
    }
  }

  /** The submit's per-job lines, as chatId → its jobIds in the order they ran; every line succeeded. */
  private static Map<String, List<String>> jobsByChat(Path out) throws IOException {
    List<JsonObject> lines = Files.readAllLines(out).stream().filter(l -> !l.isBlank()).map(JsonObject::new).toList();
    assertThat(lines).hasSize(JOBS);
    assertThat(lines.stream().map(l -> l.getString("jobId")).collect(Collectors.toSet())).hasSize(JOBS);
    Map<String, List<String>> byChat = new LinkedHashMap<>();
    for (JsonObject line : lines) {
      assertThat(line.getString("status")).as("job line %s", line).isEqualTo("succeeded");
      assertThat(line.getString("text")).isEqualTo("You said: message " + line.getString("jobId"));
      byChat.computeIfAbsent(line.getString("chatId"), c -> new ArrayList<>()).add(line.getString("jobId"));
    }
    return byChat;
  }

  private static long succeeded(List<NodeProcess> nodes) {
    return nodes.stream().mapToLong(node -> node.jobs().getLong("succeeded")).sum();
  }

  private static JsonObject lastJsonLine(String stdout, ProcessCluster cluster) {
    List<String> lines = stdout.lines().filter(l -> l.startsWith("{")).toList();
    assertThat(lines).as("submit's summary on stdout\n%s", cluster.logTails(30)).isNotEmpty();
    return new JsonObject(lines.get(lines.size() - 1));
  }
}
