package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.cli.NodeVerticle;
import chatworker.console.ConsoleAddresses;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /console/cluster} across a real cluster: two nodes (each a clustered Vert.x with its own
 * Hazelcast member, in this JVM, sharing one Redis), a member that never answers in time, and a node
 * that leaves. The last test stops node B, so the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleClusterTest {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final List<ClusterMember> members = new ArrayList<>();
  private static String clusterName;
  private static List<Integer> ports;
  private static ClusterMember a;
  private static ClusterMember b;
  private static int portA;
  private static int portB;

  /** Node A alone first, then B joins it; both deploy a whole node. */
  @BeforeAll
  static void startTwoNodes() {
    clusterName = "cw-console-" + UUID.randomUUID().toString().substring(0, 8);
    ports = FreePorts.loopback(3);
    a = join(0, false);
    b = join(1, false);
    for (ClusterMember member : members) {
      Await.until(() -> member.members().size() == 2, START_TIMEOUT, "both members to see each other");
    }
    JsonObject config = new JsonObject()
        .put("redis", new JsonObject().put("url", redis.server().url()))
        .put("http", new JsonObject().put("port", 0))
        .put("generation", new JsonObject().put("instances", 1))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
    NodeVerticle nodeA = Await.await(a.startNode(config), START_TIMEOUT);
    NodeVerticle nodeB = Await.await(b.startNode(config), START_TIMEOUT);
    portA = nodeA.httpPort();
    portB = nodeB.httpPort();
  }

  @AfterAll
  static void closeMembers() {
    ClusterMember.closeAll(members);
  }

  /**
   * Verifies that node A's {@code /console/cluster} lists A and B, sorted by nodeId, each answered
   * with its own nodeId, readiness, models and a history with samples, and that B serves the same
   * members with itself as {@code servedBy}.
   */
  @Test
  @Order(1)
  @DisplayName("Two nodes: each one's /console/cluster lists both, answered, with their own status and history")
  void twoNodesAnswerForThemselves() {
    List<String> both = List.of(a.nodeId(), b.nodeId()).stream().sorted().toList();
    JsonObject fromA = awaitCluster(portA, body -> nodeIds(body).equals(both) && allAnswered(body), "A lists A and B, answered");
    JsonObject fromB = awaitCluster(portB, body -> nodeIds(body).equals(both) && allAnswered(body), "B lists A and B, answered");
    System.out.println("GET /console/cluster on node A: " + fromA.encode());

    assertThat(fromA.getString("servedBy")).isEqualTo(a.nodeId());
    assertThat(fromB.getString("servedBy")).isEqualTo(b.nodeId());
    for (Object entry : fromA.getJsonArray("members")) {
      JsonObject member = (JsonObject) entry;
      JsonObject status = member.getJsonObject("status");
      assertThat(status.getString("nodeId")).isEqualTo(member.getString("nodeId"));
      assertThat(status.getJsonArray("clusterMembers").getList()).containsExactlyInAnyOrderElementsOf(both);
      assertThat(status.getJsonObject("ready").getString("status")).isEqualTo("UP");
      assertThat(status.getJsonObject("models").getBoolean("builtin")).isTrue();
      assertThat(status.getLong("startedAt")).isPositive();
      assertThat(status.getJsonObject("redis").getString("breaker")).isEqualTo("CLOSED");
      JsonArray samples = member.getJsonObject("history").getJsonArray("samples");
      assertThat(samples).isNotEmpty();
      assertThat(samples.getJsonObject(samples.size() - 1).getBoolean("ready")).isTrue();
    }
  }

  /**
   * Verifies that a member that holds its status request unanswered is listed with
   * {@code answered: false} and "no answer within 1500 ms", next to the nodes that answered, and that
   * A answers while that member still holds the request: the gather waits for the timeout, not for it.
   */
  @Test
  @Order(2)
  @DisplayName("A member that does not answer in time is listed as not answered, without holding up the reply")
  void silentMemberIsListedAsNotAnswered() {
    ClusterMember silent = join(2, true);
    List<Message<JsonObject>> held = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> consumer = silent.vertx().eventBus()
        .consumer(ConsoleAddresses.nodeStatus(silent.nodeId()), held::add);
    Await.await(consumer.completion(), START_TIMEOUT);
    try {
      Await.until(() -> a.members().size() == 3, SETTLE_TIMEOUT, "A to see the silent member");

      JsonObject body = awaitCluster(portA, cluster -> member(cluster, silent.nodeId()) != null
          && "no answer within 1500 ms".equals(member(cluster, silent.nodeId()).getString("error")),
          "the silent member listed as not answering in time");

      assertThat(held).as("requests the silent member holds, unanswered, as A answered").isNotEmpty();
      assertThat(member(body, silent.nodeId()).getBoolean("answered")).isFalse();
      assertThat(member(body, silent.nodeId()).fieldNames()).containsExactlyInAnyOrder("nodeId", "answered", "error");
      assertThat(member(body, a.nodeId()).getBoolean("answered")).isTrue();
      assertThat(member(body, b.nodeId()).getBoolean("answered")).isTrue();
      assertThat(nodeIds(body)).isSorted();
    } finally {
      held.forEach(request -> request.reply(new JsonObject())); // too late: nobody waits any more
      members.remove(silent);
      silent.close();
    }
    Await.until(() -> a.members().size() == 2, SETTLE_TIMEOUT, "A to see the silent member gone");
  }

  /** Verifies that once node B has stopped and left, A's /console/cluster lists A alone. */
  @Test
  @Order(3)
  @DisplayName("After node B stops, A's /console/cluster lists only A")
  void stoppedNodeIsGone() {
    members.remove(b);
    b.close();

    JsonObject body = awaitCluster(portA, cluster -> nodeIds(cluster).equals(List.of(a.nodeId())), "A alone");

    assertThat(member(body, a.nodeId()).getBoolean("answered")).isTrue();
    assertThat(member(body, a.nodeId()).getJsonObject("status").getJsonArray("clusterMembers").getList())
        .containsExactly(a.nodeId());
  }

  private static ClusterMember join(int index, boolean liteMember) {
    ClusterMember member = Await.await(ClusterMember.start(
        ClusterMember.settings(clusterName, ports.get(index), ports.subList(0, 2)), liteMember), START_TIMEOUT);
    members.add(member);
    return member;
  }

  /** Asks {@code GET /console/cluster} until its answer satisfies {@code condition}; that answer. */
  private static JsonObject awaitCluster(int port, Predicate<JsonObject> condition, String what) {
    return Await.untilPresent(() -> {
      JsonObject body = cluster(port);
      return condition.test(body) ? body : null;
    }, SETTLE_TIMEOUT, what);
  }

  private static JsonObject cluster(int port) {
    try {
      HttpResponse<String> response = http.sendAsync(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/console/cluster")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).get(20, TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
      return new JsonObject(response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> nodeIds(JsonObject cluster) {
    return cluster.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("nodeId")).toList();
  }

  private static boolean allAnswered(JsonObject cluster) {
    return cluster.getJsonArray("members").stream().allMatch(m -> ((JsonObject) m).getBoolean("answered"));
  }

  private static JsonObject member(JsonObject cluster, String nodeId) {
    return cluster.getJsonArray("members").stream().map(m -> (JsonObject) m)
        .filter(m -> m.getString("nodeId").equals(nodeId)).findFirst().orElse(null);
  }
}
