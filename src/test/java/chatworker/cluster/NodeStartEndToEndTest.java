package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.testing.RedisExtension;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A node process started as an operator starts one, looked at from outside: exit code and output. */
class NodeStartEndToEndTest {

  private static final Path DIR = Path.of("target", "cluster-tests", "node-start").toAbsolutePath();

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  /**
   * Verifies that a node that starts cleanly logs no warning about Micrometer gauges registered twice,
   * and that {@code submit} prints only its own output: the reply's JSON on stdout and nothing on
   * stderr, not the cluster membership lines it used to print around its answer.
   */
  @Test
  @DisplayName("a clean start logs no gauge warning; submit prints only its answer")
  void cleanStartAndQuietSubmit() {
    try (ProcessCluster cluster = ProcessCluster.start("clean-start", redis.server().url(), 1, new JsonObject())) {
      JavaProcess submit = cluster.submit("submit", List.of("--text", "hello there", "--job-id", "quiet-1"));
      int exit = submit.awaitExit(Duration.ofSeconds(90));

      assertThat(exit).as("submit's exit code\n%s", cluster.logTails(20)).isZero();
      assertThat(submit.stdout().strip().split("\n")).as("submit's stdout").singleElement()
          .satisfies(line -> assertThat(new JsonObject(line).getString("jobId")).isEqualTo("quiet-1"));
      assertThat(submit.log()).as("submit's stderr").isEmpty();
      assertThat(cluster.node(0).process().log()).as("the node's log")
          .contains(" ready http=").doesNotContain("has been already registered");
    }
  }

  /**
   * Verifies that a node whose HTTP port is taken exits non-zero within a bounded time, having said
   * so in exactly one line ({@code chat-worker: cannot start: HTTP port N on 127.0.0.1 is taken}),
   * with no stack trace and no error logged for this expected fault.
   */
  @Test
  @DisplayName("HTTP port taken: the process exits 1 with one line naming the port, no stack trace")
  void takenHttpPortEndsTheProcessWithOneLine() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        JavaProcess node = JavaProcess.start("port-taken", DIR, Map.of(
            "CHATWORKER_REDIS_URL", redis.server().url(),
            "CHATWORKER_HTTP_PORT", Integer.toString(taken.getLocalPort()),
            "CHATWORKER_CLUSTER_NAME", "cw-start-" + ProcessHandle.current().pid(),
            "CHATWORKER_CLUSTER_PORT", Integer.toString(FreePorts.loopback(1).get(0))), List.of())) {
      int exit = node.awaitExit(Duration.ofSeconds(90));

      String output = node.log() + node.stdout();
      List<String> lines = Arrays.asList(output.split("\n"));
      assertThat(exit).as("exit code\n%s", output).isEqualTo(1);
      assertThat(lines).as("output").filteredOn(line -> line.contains("cannot start"))
          .containsExactly("chat-worker: cannot start: HTTP port " + taken.getLocalPort() + " on 127.0.0.1 is taken");
      assertThat(lines).as("output").noneMatch(line -> line.startsWith("\tat ") || line.contains(" ERROR "))
          .noneMatch(line -> line.contains("Exception"));
    }
  }
}
