package chatworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.api.ErrorCode;
import chatworker.testing.LocalPorts;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * {@code submit --http} against a whole node (its HTTP API in front of the event-bus API) that wants
 * an API key: the command runs in this JVM as picocli runs it, with its stdout and stderr captured.
 */
class HttpSubmitClientTest {

  private static final String KEY = "http-submit-test-key";

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static TestNode node;
  private static String url;

  /** What one run of the command printed, and its exit code. */
  private record Run(int exit, String stdout, String stderr) {
    List<String> lines() {
      return stdout.isEmpty() ? List.of() : List.of(stdout.split("\n"));
    }

    /** The contract error that the command printed on stderr (the node's own log may be there too). */
    JsonObject error() {
      return stderr.lines().filter(line -> line.startsWith("{\"code\"")).reduce((a, b) -> b)
          .map(JsonObject::new)
          .orElseThrow(() -> new AssertionError("no contract error on stderr: " + stderr));
    }
  }

  @BeforeAll
  static void startNode() {
    int port = LocalPorts.free("127.0.0.1");
    node = new TestNode(redis.server().url(),
        new JsonObject().put("http", new JsonObject().put("port", port).put("apiKeys", KEY)));
    url = "http://127.0.0.1:" + port;
  }

  @AfterAll
  static void closeNode() {
    if (node != null) {
      node.close();
    }
  }

  /**
   * Runs {@code submit --http URL --api-key KEY} with {@code args}. {@code --verbose}: the command
   * leaves this JVM's log levels (the node's) as they are.
   */
  private static Run submit(String... args) {
    List<String> all =
        new ArrayList<>(List.of("--http", url, "--api-key", KEY, "--verbose", "--resends", "1"));
    all.addAll(List.of(args));
    return submitRaw(all.toArray(String[]::new));
  }

  private static synchronized Run submitRaw(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      int exit = new CommandLine(new SubmitCommand()).execute(args);
      return new Run(exit, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /**
   * Verifies that a streamed generate prints its deltas as one line, then the reply; and that sending
   * it again with the same --job-id answers the same message and adds nothing to the chat.
   */
  @Test
  @DisplayName("--stream prints the deltas then the reply; the same --job-id again is the same message")
  void streamsAndResendsIdempotently() {
    Run first =
        submit("--text", "hello over http", "--stream", "--job-id", "http-submit-1", "--token-delay-ms", "1");

    assertThat(first.exit()).as("exit code; stderr: %s", first.stderr()).isZero();
    assertThat(first.lines()).hasSize(2);
    assertThat(first.lines().get(0)).isEqualTo("You said: hello over http");
    JsonObject reply = new JsonObject(first.lines().get(1));
    assertThat(reply.getString("jobId")).isEqualTo("http-submit-1");
    assertThat(reply.getJsonObject("message").getString("text")).isEqualTo("You said: hello over http");

    String chatId = reply.getString("chatId");
    Run again = submit("--chat-id", chatId, "--text", "hello over http", "--job-id", "http-submit-1");

    assertThat(again.exit()).as("exit code; stderr: %s", again.stderr()).isZero();
    JsonObject second = new JsonObject(again.stdout().strip());
    assertThat(second.getJsonObject("message").getString("id"))
        .isEqualTo(reply.getJsonObject("message").getString("id"));
    JsonObject messages = node.call(Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId));
    assertThat(messages.getJsonArray("messages")).as("one user and one assistant message").hasSize(2);
  }

  /** Verifies that a batch (--count) runs over HTTP too, every job succeeding. */
  @Test
  @DisplayName("--count runs a batch over HTTP")
  void batchOverHttp() {
    Run batch = submit("--count", "6", "--chats", "2", "--concurrency", "2", "--job-prefix", "http-batch");

    assertThat(batch.exit()).as("exit code; stderr: %s", batch.stderr()).isZero();
    JsonObject summary = new JsonObject(batch.stdout().strip());
    assertThat(summary.getInteger("succeeded")).isEqualTo(6);
    assertThat(summary.getInteger("noAnswer")).isZero();
  }

  /**
   * Verifies that the exit codes are the event-bus mode's: a contract failure's own (NOT_FOUND 11) with
   * its JSON on stderr; no answer (nothing listens) 20; a bad URL 2; and a wrong key 22, not printed.
   */
  @Test
  @DisplayName("exit codes: NOT_FOUND 11, no answer 20, bad URL 2, wrong key 22 (and the key not printed)")
  void failuresEndWithTheirExitCodes() {
    Run missing = submit("--chat-id", "no-such-chat", "--text", "hi");
    assertThat(missing.exit()).isEqualTo(ExitCodes.of(ErrorCode.NOT_FOUND)).isEqualTo(11);
    assertThat(missing.error().getString("code")).isEqualTo("NOT_FOUND");

    String nobody = "http://127.0.0.1:" + LocalPorts.free("127.0.0.1");
    assertThat(submitRaw("--http", nobody, "--verbose", "--resends", "1", "--text", "hi").exit())
        .isEqualTo(ExitCodes.NO_ANSWER);
    assertThat(submitRaw("--http", "ftp://127.0.0.1/", "--verbose", "--text", "hi").exit()).isEqualTo(ExitCodes.USAGE);

    Run refused = submitRaw("--http", url, "--api-key", "not-the-" + KEY, "--verbose", "--text", "hi");
    assertThat(refused.exit()).isEqualTo(ExitCodes.UNAUTHORIZED);
    assertThat(refused.error().getString("code")).isEqualTo("UNAUTHORIZED");
    assertThat(refused.stdout() + refused.stderr()).doesNotContain(KEY);
  }
}
