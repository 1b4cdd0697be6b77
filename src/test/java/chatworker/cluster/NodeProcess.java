package chatworker.cluster;

import chatworker.testing.Await;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One chat-worker node as a child process, known by its ready line, asked through its /status. */
final class NodeProcess implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("chat-worker node (\\S+) ready http=(\\d+)");
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  private final JavaProcess process;
  private final int clusterPort;
  private String nodeId;
  private int httpPort;

  private NodeProcess(JavaProcess process, int clusterPort) {
    this.process = process;
    this.clusterPort = clusterPort;
  }

  /**
   * Starts a node on {@code conf} with the per-node settings as environment variables, as an
   * operator would: its Redis, any free HTTP port, its Hazelcast port, the members to join.
   */
  static NodeProcess start(String name, Path dir, Path conf, String redisUrl, String clusterName, int clusterPort,
      String members) {
    Map<String, String> env = Map.of(
        "CHATWORKER_REDIS_URL", redisUrl,
        "CHATWORKER_HTTP_PORT", "0",
        "CHATWORKER_CLUSTER_NAME", clusterName,
        "CHATWORKER_CLUSTER_HOST", "127.0.0.1",
        "CHATWORKER_CLUSTER_PORT", Integer.toString(clusterPort),
        "CHATWORKER_CLUSTER_MEMBERS", members);
    return new NodeProcess(JavaProcess.start(name, dir, env, List.of("--conf", conf.toString())), clusterPort);
  }

  /** Waits for the ready line; fails at once with the log when the process exits first. */
  NodeProcess awaitReady(Duration timeout) {
    Matcher ready = Await.untilPresent(() -> {
      Matcher m = READY.matcher(process.log());
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError(process.name() + " exited before it was ready\n" + process.logTail(40));
      }
      return null;
    }, timeout, process.name() + " to log its ready line");
    nodeId = ready.group(1);
    httpPort = Integer.parseInt(ready.group(2));
    return this;
  }

  String name() {
    return process.name();
  }

  /** The Vert.x node id from the ready line. */
  String nodeId() {
    return nodeId;
  }

  int clusterPort() {
    return clusterPort;
  }

  /** The HTTP port it logged in its ready line. */
  int httpPort() {
    return httpPort;
  }

  JavaProcess process() {
    return process;
  }

  /** GET /status, parsed. */
  JsonObject status() {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/status"))
        .timeout(Duration.ofSeconds(5)).build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError(name() + " /status answered " + response.statusCode() + ": " + response.body());
      }
      return new JsonObject(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(name() + " /status failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The {@code jobs} section of /status. */
  JsonObject jobs() {
    return status().getJsonObject("jobs");
  }

  /** The node ids this node sees in its cluster (/status clusterMembers). */
  List<String> clusterMembers() {
    return status().getJsonArray("clusterMembers").stream().map(Object::toString).toList();
  }

  @Override
  public void close() {
    process.close();
  }
}
