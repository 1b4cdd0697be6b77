package chatworker.http;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import chatworker.http.SseClient.Event;
import chatworker.model.BuiltinModel;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A streamed generate whose reader stops reading (SseStream: more than http.streamBufferBytes unread
 * ends the stream). On a node of its own: the flood of chunks a 16,384-word reply without a token
 * delay sends keeps an event loop busy for about a second, which may trip the Redis breaker of
 * TestNode's short timeouts and would disturb the tests that follow.
 */
class HttpSlowReaderTest {

  /** The smallest buffer the node accepts. */
  private static final int STREAM_BUFFER_BYTES = 1_024;
  /** The longest text, in one-letter words: the most chunks one job can stream. */
  private static final String TEXT = "a" + " a".repeat(16_383);
  /** "You", " said:", then " a" for each word of TEXT. */
  private static final int REPLY_WORDS = 2 + 16_384;

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static ApiClient api;
  private static int port;

  @BeforeAll
  static void startNode() {
    port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(), new JsonObject().put("http", new JsonObject()
        .put("port", port).put("streamBufferBytes", STREAM_BUFFER_BYTES)));
    api = new ApiClient(port);
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  /**
   * Verifies that a reader that reads nothing cannot make the node hold its stream: the job completes
   * and is stored whole, while the stream, once read, stops short of it (no done event, fewer chunks
   * than the reply has words) and ends with error OVERLOADED or with the connection closed. A node
   * that queued every chunk for the reader would deliver them all, then done.
   */
  @Test
  @DisplayName("Slow reader: the job is stored whole; the stream stops short, with OVERLOADED or a close")
  void slowReaderIsCutOffWhileTheJobCompletes() {
    String chatId = api.createChat(api.createAssistant("flood", 0));
    // The longest jobId too: ~190 bytes an event, ~3 MB in all, about twice what loopback TCP buffers
    // absorbed here (1.6 MB) with the reader's receive buffer at its smallest.
    String jobId = "slow-" + "x".repeat(91) + UUID.randomUUID().toString().replace("-", "");
    assertThat(jobId).hasSize(128);
    try (RawHttp reader = new RawHttp(port, 1)) { // the smallest receive buffer the kernel gives
      reader.postJson("/v1/chats/" + chatId + "/generate",
          new JsonObject().put("jobId", jobId).put("text", TEXT).put("stream", true).encode());

      JsonObject job = api.awaitJob(jobId, "succeeded");

      assertThat(job.getJsonObject("result").getJsonObject("message").getString("text"))
          .isEqualTo(BuiltinModel.replyTo(TEXT));
      assertThat(api.messages(chatId).getJsonObject(1).getString("text"))
          .isEqualTo(BuiltinModel.replyTo(TEXT));
      RawHttp.Response stream = reader.readResponse();
      assertThat(stream.status()).isEqualTo(200);
      assertThat(stream.headers()).containsEntry("content-type", "text/event-stream");
      List<Event> events = SseClient.parse(stream.body());
      assertThat(events).as("no done: the stream was cut").noneMatch(e -> "done".equals(e.name()));
      assertThat(events).filteredOn(e -> "chunk".equals(e.name())).hasSizeLessThan(REPLY_WORDS);
      if (stream.complete()) {
        Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data().getString("code")).isEqualTo(ErrorCode.OVERLOADED.name());
        assertThat(last.data().getString("message")).contains(jobId);
      }
    }
  }
}
