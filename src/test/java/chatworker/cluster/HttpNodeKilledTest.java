package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two node processes; HTTP clients send generates to node 0, which carries them over the event bus, so
 * some run on node 1; node 1 is killed with SIGKILL while they run. Vert.x would make node 0 wait for
 * each lost request's send timeout (the job deadline, 60 s here, and more); the gateway instead resends
 * them by jobId when node 1 leaves the cluster, and node 0, which saw node 1 leave too, takes those
 * runs over instead of waiting for their chat locks to expire: the lease here (120 s) outlasts the
 * deadline, so a job whose lock was waited for could not be answered at all.
 */
class HttpNodeKilledTest {

  private static final int PLAIN = 16;
  private static final int STREAMED = 8;
  /** Longer than the jobs' deadline: a resent job can only run again by taking its dead run over. */
  private static final long LEASE_MS = 120_000;
  private static final long JOB_TIMEOUT_MS = 60_000;
  private static final Pattern EVENT = Pattern.compile("event: (\\w+)\ndata: (.*)\n");

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
   * Verifies that generates carried by node 0 and running on node 1 when node 1 is killed are all
   * answered 200 (plain) or end with one {@code done} (streamed, seq only growing), although their send
   * timeout would have answered 504 and their locks outlive their deadline, and that each chat holds
   * one assistant message per jobId.
   */
  @Test
  @DisplayName("kill -9 of the node running HTTP jobs: the node that carried them resends; every client gets its answer")
  void killedNodesJobsAreAnsweredByResend() throws Exception {
    cluster = ProcessCluster.start("http-node-killed", redis.server().url(), 2, ProcessCluster.nodeKillOverrides(LEASE_MS));
    NodeProcess gateway = cluster.node(0);
    NodeProcess victim = cluster.node(1);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "http://127.0.0.1:" + gateway.httpPort();

    // ~40 words at 100 ms each: every job runs about 4 s, long enough to be cut by the kill.
    JsonObject assistant = post(http, base + "/v1/assistants", new JsonObject().put("name", "slow")
        .put("model", new JsonObject().put("provider", "builtin").put("options", new JsonObject().put("tokenDelayMs", 100))));
    String text = String.join(" ", java.util.Collections.nCopies(40, "word"));
    List<String> chats = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < PLAIN + STREAMED; i++) {
      String chatId = post(http, base + "/v1/chats", new JsonObject().put("assistantId", assistant.getString("id")))
          .getString("id");
      chats.add(chatId);
      JsonObject body = new JsonObject().put("text", text).put("timeoutMs", JOB_TIMEOUT_MS).put("stream", i >= PLAIN);
      answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/chats/" + chatId + "/generate"))
          .header("content-type", "application/json").header("Idempotency-Key", "killed-" + i)
          .timeout(Duration.ofMillis(JOB_TIMEOUT_MS * 2))
          .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString()));
    }
    Await.until(() -> victim.jobs().getInteger("inFlight") > 0, Duration.ofSeconds(30), "jobs running on node 1");
    int runningOnVictim = victim.jobs().getInteger("inFlight");
    long killedAt = System.nanoTime();
    victim.process().kill();

    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(JOB_TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
    long lastAnswerMs = (System.nanoTime() - killedAt) / 1_000_000;
    System.out.printf("{\"test\":\"http-node-killed\",\"runningOnKilledNode\":%d,\"killToLastAnswerMs\":%d}%n",
        runningOnVictim, lastAnswerMs);

    for (int i = 0; i < answers.size(); i++) {
      HttpResponse<String> answer = answers.get(i).get();
      assertThat(answer.statusCode()).as("answer %d: %s%n%s", i, answer.body(), cluster.logTails(20)).isEqualTo(200);
      JsonObject reply = i < PLAIN ? new JsonObject(answer.body()) : lastEventIsDone(answer.body());
      assertThat(reply.getString("jobId")).isEqualTo("killed-" + i);
      assertThat(reply.getJsonObject("message").getString("text")).isEqualTo("You said: " + text);
      JsonArray messages = get(http, base + "/v1/chats/" + chats.get(i) + "/messages").getJsonArray("messages");
      assertThat(messages.stream().map(JsonObject.class::cast).filter(m -> m.getString("role").equals("assistant")))
          .as("assistant messages of chat %d", i).hasSize(1);
    }
    Matcher resent = Pattern.compile("left: sending (\\d+) unanswered generates again").matcher(gateway.process().log());
    assertThat(resent.find()).as("node 0 resent what node 1 ran%n%s", cluster.logTails(20)).isTrue();
    assertThat(Integer.parseInt(resent.group(1))).isPositive();
  }

  /** The stream's events: chunks with growing seq, then exactly one terminal event, a done; its data. */
  private static JsonObject lastEventIsDone(String stream) {
    Matcher events = EVENT.matcher(stream);
    long lastSeq = -1;
    List<String> names = new ArrayList<>();
    JsonObject last = null;
    while (events.find()) {
      names.add(events.group(1));
      last = new JsonObject(events.group(2));
      if (events.group(1).equals("chunk")) {
        assertThat(last.getLong("seq")).as("seq after %d in %s", lastSeq, stream).isGreaterThan(lastSeq);
        lastSeq = last.getLong("seq");
      }
    }
    assertThat(names).as("events of %s", stream).isNotEmpty().last().isEqualTo("done");
    assertThat(names.subList(0, names.size() - 1)).containsOnly("chunk");
    return last;
  }

  private static JsonObject post(HttpClient http, String url, JsonObject body) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("POST %s: %s", url, response.body()).isEqualTo(201);
    return new JsonObject(response.body());
  }

  private static JsonObject get(HttpClient http, String url) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", url, response.body()).isEqualTo(200);
    return new JsonObject(response.body());
  }
}
