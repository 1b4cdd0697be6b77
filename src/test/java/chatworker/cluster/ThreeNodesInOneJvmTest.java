package chatworker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three nodes and a client, each a clustered Vert.x with its own Hazelcast member on loopback, all in
 * this JVM, sharing one Redis.
 */
class ThreeNodesInOneJvmTest {

  private static final int NODES = 3;
  private static final int CHATS = 100;
  private static final int JOBS_PER_CHAT = 20;
  private static final int STREAMED_JOBS = 20;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension
  static RedisExtension redis = new RedisExtension();

  private static final List<ClusterMember> members = new ArrayList<>();
  private static List<ClusterMember> nodes;
  private static ClusterMember client;
  private static Set<String> nodeIds;
  private static String assistantId;

  /** The first member alone, then the rest together: they all find it and join its cluster. */
  @BeforeAll
  static void startCluster() {
    String clusterName = "cw-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = FreePorts.loopback(NODES + 1);
    List<Integer> nodePorts = ports.subList(0, NODES);
    members.add(Await.await(ClusterMember.start(
        ClusterMember.settings(clusterName, nodePorts.get(0), nodePorts), false), START_TIMEOUT));
    List<Future<ClusterMember>> joining = new ArrayList<>();
    for (int i = 1; i <= NODES; i++) {
      joining.add(ClusterMember.start(ClusterMember.settings(clusterName, ports.get(i), nodePorts), i == NODES));
    }
    Await.await(Future.all(joining), START_TIMEOUT);
    joining.forEach(member -> members.add(member.result()));
    nodes = members.subList(0, NODES);
    client = members.get(NODES);
    for (ClusterMember member : members) {
      Await.until(() -> member.members().size() == NODES + 1, START_TIMEOUT, "every member to see all four");
    }
    JsonObject config = nodeConfig(redis.server().url());
    Await.await(Future.all(nodes.stream().map(node -> node.deployNode(config)).toList()), START_TIMEOUT);
    nodeIds = nodes.stream().map(ClusterMember::nodeId).collect(Collectors.toSet());
    assistantId = call(client, Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "cluster")).getString("id");
    awaitEveryNodeServes(client, newChat(client, assistantId), nodeIds);
  }

  /**
   * One member at a time, the client first: closed all at once, members that were leaving kept
   * retrying Hazelcast operations on members already gone, and the close outlasted a minute once.
   */
  @AfterAll
  static void closeMembers() {
    ClusterMember.closeAll(members);
  }

  /**
   * Verifies that 2,000 generates sent by a client member over 100 chats (one job after another per
   * chat, the chats in parallel) each get the reply to their own text on their own chat, that every
   * node serves at least a tenth of them, and that each chat holds exactly its messages, in order.
   */
  @Test
  @DisplayName("Three nodes in one JVM share 2,000 generates over 100 chats; every reply and every chat is right")
  void threeNodesShareTheLoad() {
    List<String> chatIds = new ArrayList<>();
    for (int c = 0; c < CHATS; c++) {
      chatIds.add(newChat(client, assistantId));
    }
    Map<String, Integer> servedBy = new ConcurrentHashMap<>();
    List<Future<Void>> chats = new ArrayList<>();
    long started = System.nanoTime();
    for (String chatId : chatIds) {
      chats.add(runChat(client, chatId, servedBy));
    }
    Await.await(Future.all(chats), Duration.ofSeconds(120));
    System.out.printf("%d generates in %d ms, served by %s%n", CHATS * JOBS_PER_CHAT,
        (System.nanoTime() - started) / 1_000_000, servedBy);

    assertThat(servedBy.keySet()).isEqualTo(nodeIds);
    int total = CHATS * JOBS_PER_CHAT;
    assertThat(servedBy.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(total);
    servedBy.forEach((node, jobs) -> assertThat(jobs).as("jobs served by " + node + " of " + servedBy)
        .isGreaterThanOrEqualTo(total / 10));
    for (String chatId : chatIds) {
      assertChatHoldsExactlyItsTurns(client, chatId);
    }
  }

  /**
   * Verifies that a streamed generate served by another node delivers every chunk, in order, to the
   * client's stream address before its reply arrives, so a client that stops listening at the reply
   * (as {@code submit --stream} does) has the whole text. Each job streams to a new address, which
   * the node must first look up in the cluster, while the reply needs no lookup.
   */
  @Test
  @DisplayName("Streaming across the cluster: every chunk arrives, in order, before the reply")
  void streamedChunksArriveBeforeTheReply() {
    for (int job = 0; job < STREAMED_JOBS; job++) {
      String chatId = newChat(client, assistantId);
      String text = "stream " + job + " of this test, word by word";
      List<JsonObject> atReply = Await.await(chunksBeforeReply(chatId, text), Duration.ofSeconds(60));

      assertThat(atReply.stream().map(c -> c.getInteger("seq")).toList())
          .as("chunk seqs received before the reply of streamed job %d", job)
          .isEqualTo(IntStream.range(0, atReply.size()).boxed().toList());
      assertThat(atReply.stream().map(c -> c.getString("delta")).collect(Collectors.joining()))
          .as("text streamed before the reply of job %d", job).isEqualTo("You said: " + text);
    }
  }

  /**
   * Streams one generate to a new address and answers the chunks that had arrived when the reply
   * came. The consumer and the request share one context, so both arrive in the order the node sent
   * them.
   */
  private static Future<List<JsonObject>> chunksBeforeReply(String chatId, String text) {
    Promise<List<JsonObject>> result = Promise.promise();
    Context context = client.vertx().getOrCreateContext();
    context.runOnContext(v -> {
      String address = "test.stream." + UUID.randomUUID();
      List<JsonObject> chunks = new ArrayList<>();
      MessageConsumer<JsonObject> consumer = client.vertx().eventBus().consumer(address, m -> chunks.add(m.body()));
      consumer.completion()
          .compose(registered -> client.request(Addresses.GENERATE, new JsonObject().put("chatId", chatId)
              .put("text", text).put("stream", true).put("streamAddress", address)))
          .map(reply -> List.copyOf(chunks))
          .onComplete(done -> consumer.unregister().onComplete(u -> result.handle(done)));
    });
    return result.future();
  }

  /** Sends generates on a chat of its own until replies came from every node: the client sees them all. */
  private static void awaitEveryNodeServes(ClusterMember client, String chatId, Set<String> nodeIds) {
    Set<String> seen = new HashSet<>();
    Await.until(() -> {
      JsonObject reply = call(client, Addresses.GENERATE, new JsonObject().put("chatId", chatId).put("text", "probe"));
      seen.add(reply.getString("node"));
      return seen.containsAll(nodeIds);
    }, START_TIMEOUT, "replies from all three nodes");
  }

  /** The chat's jobs one after another; each reply is checked as it comes. */
  private static Future<Void> runChat(ClusterMember client, String chatId, Map<String, Integer> servedBy) {
    Future<Void> chain = Future.succeededFuture();
    for (int turn = 0; turn < JOBS_PER_CHAT; turn++) {
      String jobId = jobId(chatId, turn);
      String text = text(chatId, turn);
      chain = chain.compose(v -> client.request(Addresses.GENERATE,
              new JsonObject().put("chatId", chatId).put("jobId", jobId).put("text", text))
          .map(reply -> {
            JsonObject message = reply.getJsonObject("message");
            assertThat(reply.getString("chatId")).as("chatId of the reply to " + jobId).isEqualTo(chatId);
            assertThat(reply.getString("jobId")).isEqualTo(jobId);
            assertThat(message.getString("chatId")).isEqualTo(chatId);
            assertThat(message.getString("role")).isEqualTo("assistant");
            assertThat(message.getString("text")).as("reply to " + jobId).isEqualTo("You said: " + text);
            servedBy.merge(reply.getString("node"), 1, Integer::sum);
            return null;
          }));
    }
    return chain;
  }

  private static void assertChatHoldsExactlyItsTurns(ClusterMember client, String chatId) {
    JsonArray messages = call(client, Addresses.MESSAGES_LIST, new JsonObject().put("chatId", chatId)
        .put("limit", 1000)).getJsonArray("messages");
    assertThat(messages.size()).as("messages of chat " + chatId).isEqualTo(2 * JOBS_PER_CHAT);
    for (int turn = 0; turn < JOBS_PER_CHAT; turn++) {
      JsonObject user = messages.getJsonObject(2 * turn);
      JsonObject assistant = messages.getJsonObject(2 * turn + 1);
      assertThat(user.getString("role")).isEqualTo("user");
      assertThat(user.getString("text")).isEqualTo(text(chatId, turn));
      assertThat(user.getInteger("seq")).isEqualTo(2 * turn + 1);
      assertThat(assistant.getString("role")).isEqualTo("assistant");
      assertThat(assistant.getString("text")).isEqualTo("You said: " + text(chatId, turn));
      assertThat(assistant.getString("jobId")).isEqualTo(jobId(chatId, turn));
      assertThat(assistant.getInteger("seq")).isEqualTo(2 * turn + 2);
    }
  }

  private static String jobId(String chatId, int turn) {
    return chatId + "-" + turn;
  }

  /** A text no other chat or turn sends, so a reply shows which conversation it answers. */
  private static String text(String chatId, int turn) {
    return "turn " + turn + " of chat " + chatId;
  }

  private static String newChat(ClusterMember client, String assistantId) {
    return call(client, Addresses.CHATS_CREATE, new JsonObject().put("assistantId", assistantId)).getString("id");
  }

  private static JsonObject call(ClusterMember client, String address, JsonObject body) {
    return Await.await(client.request(address, body), Duration.ofSeconds(60));
  }

  /** A node's configuration: the test Redis, any HTTP port, builtin model without delay. */
  private static JsonObject nodeConfig(String redisUrl) {
    return new JsonObject()
        .put("redis", new JsonObject().put("url", redisUrl))
        .put("http", new JsonObject().put("port", 0))
        .put("generation", new JsonObject().put("instances", 2).put("lockLeaseMs", 5_000))
        .put("shutdown", new JsonObject().put("drainTimeoutMs", 2_000));
  }
}
