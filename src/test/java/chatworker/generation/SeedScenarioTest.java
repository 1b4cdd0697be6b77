package chatworker.generation;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.Addresses;
import chatworker.model.BuiltinModel;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SeedScenarioTest {

  private static final int CLIENTS = 200;

  @RegisterExtension
  static RedisExtension redisServer = new RedisExtension();

  /**
   * Verifies the scenario that breaks the naive asyncio backend: 200 concurrent clients each create
   * an assistant, create a chat and generate with text (every third one streaming). Every request gets
   * exactly one answer, every reply answers its own chat's text, streamed chunks add up to the reply
   * in order, and each chat ends with exactly its user and assistant message.
   */
  @Test
  @DisplayName("200 concurrent create-assistant + create-chat + generate: one correct answer each")
  void concurrentClientsEachGetTheirOwnAnswer() {
    try (TestNode node = new TestNode(redisServer.server().url())) {
      Map<Integer, StringBuffer> streamed = new ConcurrentHashMap<>();
      Map<Integer, List<Long>> streamedSeqs = new ConcurrentHashMap<>();
      List<MessageConsumer<JsonObject>> streams = new ArrayList<>();
      List<Future<JsonObject>> flows = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        int client = i;
        boolean stream = i % 3 == 0;
        String text = "question " + client + " about topic " + (client * 7919 % 1000);
        if (stream) {
          streamed.put(client, new StringBuffer());
          streamedSeqs.put(client, new java.util.concurrent.CopyOnWriteArrayList<>());
          streams.add(node.vertx().eventBus().<JsonObject>consumer("test.stream." + client, chunk -> {
            streamed.get(client).append(chunk.body().getString("delta"));
            streamedSeqs.get(client).add(chunk.body().getLong("seq"));
          }));
        }
        flows.add(node.request(Addresses.ASSISTANTS_CREATE, new JsonObject().put("name", "assistant " + client))
            .compose(assistant -> node.request(Addresses.CHATS_CREATE,
                new JsonObject().put("assistantId", assistant.getString("id")).put("name", "chat " + client)))
            .compose(chat -> {
              JsonObject generate = new JsonObject().put("chatId", chat.getString("id")).put("text", text);
              if (stream) {
                generate.put("stream", true).put("streamAddress", "test.stream." + client);
              }
              return node.request(Addresses.GENERATE, generate);
            }));
      }
      TestNode.awaitAll(flows);

      for (int i = 0; i < CLIENTS; i++) {
        assertThat(flows.get(i).succeeded()).as("client %d: %s", i, flows.get(i).cause()).isTrue();
        JsonObject reply = flows.get(i).result();
        String text = "question " + i + " about topic " + (i * 7919 % 1000);
        assertThat(reply.getJsonObject("message").getString("text")).isEqualTo(BuiltinModel.replyTo(text));
        assertThat(reply.getJsonObject("message").getString("role")).isEqualTo("assistant");
        JsonArray messages = node.call(Addresses.MESSAGES_LIST,
            new JsonObject().put("chatId", reply.getString("chatId"))).getJsonArray("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.getJsonObject(0).getString("role")).isEqualTo("user");
        assertThat(messages.getJsonObject(0).getString("text")).isEqualTo(text);
        assertThat(messages.getJsonObject(1).getString("text")).isEqualTo(BuiltinModel.replyTo(text));
        if (streamed.containsKey(i)) {
          int client = i;
          // Chunks travel to another handler than the reply: wait for the last one to land.
          Await.until(() -> streamed.get(client).toString().equals(BuiltinModel.replyTo(text)),
              Duration.ofSeconds(10), "client " + i + "'s stream adds up to its reply");
          List<Long> seqs = streamedSeqs.get(i);
          for (int s = 0; s < seqs.size(); s++) {
            assertThat(seqs.get(s)).isEqualTo(s);
          }
        }
      }
      assertThat(redisServer.server().command("KEYS", "cw:chat:*:lock")).isEmpty();
      streams.forEach(MessageConsumer::unregister);
    }
  }
}
