package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.http.SseClient.Event;
import chatworker.model.BuiltinModel;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streamed generates over HTTP (shared/CONTRACT.md, "HTTP API", Streaming): server-sent events from a
 * real node, read by real clients that read everything, cancel, or go away (HttpSlowReaderTest: too slowly).
 */
class HttpStreamTest {

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static ApiClient api;
  private static SseClient sse;

  @BeforeAll
  static void startNode() {
    int port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(),
        new JsonObject().put("http", new JsonObject().put("port", port)));
    api = new ApiClient(port);
    sse = new SseClient(port);
  }

  @AfterAll
  static void stopNode() {
    sse.close();
    node.close();
  }

  /**
   * Verifies that a streamed generate answers 200 text/event-stream with chunk events of seq 0..n in
   * order, ended by exactly one done event whose message is the concatenated deltas, as stored.
   */
  @Test
  @DisplayName("A stream is chunk events seq 0..n in order, then one done holding their concatenation")
  void streamIsOrderedChunksThenDone() {
    String chatId = api.createChat(api.createAssistant("streamer", 0));
    String text = "tell me a story about seven small streams";

    String body = new JsonObject().put("text", text).put("stream", true).encode();
    HttpResponse<String> response = api.send(
        HttpRequest.newBuilder(api.uri("/v1/chats/" + chatId + "/generate"))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
    assertThat(response.body()).endsWith("\n\n"); // nothing after the last event
    List<Event> events = SseClient.parse(response.body());
    List<Event> chunks = events.subList(0, events.size() - 1);
    Event last = events.get(events.size() - 1);
    assertThat(chunks).isNotEmpty().allSatisfy(e -> assertThat(e.name()).isEqualTo("chunk"));
    assertThat(chunks).extracting(e -> e.data().getLong("seq"))
        .containsExactlyElementsOf(IntStream.range(0, chunks.size()).mapToObj(i -> (long) i).toList());
    assertThat(last.name()).isEqualTo("done");
    String deltas = chunks.stream().map(e -> e.data().getString("delta")).collect(Collectors.joining());
    JsonObject message = last.data().getJsonObject("message");
    assertThat(message.getString("text")).isEqualTo(deltas).isEqualTo(BuiltinModel.replyTo(text));
    assertThat(message.getString("role")).isEqualTo("assistant");
    String jobId = last.data().getString("jobId");
    assertThat(chunks).allSatisfy(e -> assertThat(e.data().getString("jobId")).isEqualTo(jobId));
    assertThat(api.messages(chatId).getJsonObject(1).getString("text")).isEqualTo(deltas);
  }

  /** Verifies that a streamed generate on a chat that does not exist is one error event, NOT_FOUND. */
  @Test
  @DisplayName("A stream on an unknown chat is one error event, NOT_FOUND, and nothing else")
  void streamOnUnknownChatIsOneError() {
    SseClient.Stream stream =
        sse.post("/v1/chats/no-such-chat/generate", new JsonObject().put("stream", true));

    List<Event> events = stream.awaitEnd();

    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.contentType()).isEqualTo("text/event-stream");
    assertThat(stream.ended()).as("the response ended as HTTP says").isTrue();
    assertThat(events).singleElement().satisfies(error -> {
      assertThat(error.name()).isEqualTo("error");
      assertThat(error.data().getString("code")).isEqualTo(ErrorCode.NOT_FOUND.name());
      assertThat(error.data().getString("message")).isNotBlank();
    });
  }

  /**
   * Verifies that a job cancelled by POST /v1/jobs/{jobId}/cancel while it streams ends its stream with
   * an error event CANCELLED after the chunks already sent, and that the job then reads cancelled.
   */
  @Test
  @DisplayName("Cancel mid-stream: 202, the stream ends with error CANCELLED, the job reads cancelled")
  void cancelMidStreamEndsWithCancelled() {
    String chatId = api.createChat(api.createAssistant("slow", 100));
    String jobId = "cancel-" + UUID.randomUUID();
    SseClient.Stream stream = sse.post("/v1/chats/" + chatId + "/generate",
        new JsonObject().put("jobId", jobId).put("text", words(100)).put("stream", true));
    stream.awaitEvent("chunk");

    JsonObject cancel = ApiClient.expect(api.post("/v1/jobs/" + jobId + "/cancel"), 202);

    assertThat(cancel).isEqualTo(new JsonObject().put("jobId", jobId));
    List<Event> events = stream.awaitEnd();
    assertThat(stream.ended()).as("the response ended as HTTP says").isTrue();
    Event last = events.get(events.size() - 1);
    assertThat(last.name()).isEqualTo("error");
    assertThat(last.data().getString("code")).isEqualTo(ErrorCode.CANCELLED.name());
    assertThat(events.subList(0, events.size() - 1)).isNotEmpty()
        .allSatisfy(e -> assertThat(e.name()).isEqualTo("chunk"))
        .hasSizeLessThan(100); // it did stop: 100 words at 100 ms each would take 10 s
    assertThat(api.awaitJob(jobId, "cancelled").getString("status")).isEqualTo("cancelled");
  }

  /**
   * Verifies that a client that reads the first chunk and closes the connection cancels nothing: the
   * job runs to its end, reads succeeded, and its assistant message is in the chat.
   */
  @Test
  @DisplayName("Disconnect mid-stream: the job still succeeds and its message is stored")
  void disconnectMidStreamLetsTheJobFinish() {
    String chatId = api.createChat(api.createAssistant("unwatched", 20));
    String jobId = "gone-" + UUID.randomUUID();
    String text = words(30);
    SseClient.Stream stream = sse.post("/v1/chats/" + chatId + "/generate",
        new JsonObject().put("jobId", jobId).put("text", text).put("stream", true));
    stream.awaitEvent("chunk");

    stream.disconnect();

    assertThat(stream.ended()).as("closed before the stream's end").isFalse();
    JsonObject job = api.awaitJob(jobId, "succeeded");
    assertThat(job.getJsonObject("result").getJsonObject("message").getString("text"))
        .isEqualTo(BuiltinModel.replyTo(text));
    JsonArray messages = api.messages(chatId);
    assertThat(messages).hasSize(2);
    assertThat(messages.getJsonObject(1).getString("role")).isEqualTo("assistant");
    assertThat(messages.getJsonObject(1).getString("text")).isEqualTo(BuiltinModel.replyTo(text));
  }

  /** {@code n} short words. */
  static String words(int n) {
    return IntStream.range(0, n).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
  }
}
