package chatworker.bench;

import static chatworker.testing.Await.await;

import chatworker.api.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The assistants and chats a benchmark's load runs on, made through a node's event bus. */
final class BenchChats {

  /** Messages in an assistant's memory window. */
  static final int HISTORY = 20;
  static final long REQUEST_TIMEOUT_MS = 30_000;

  private BenchChats() {
  }

  /**
   * Creates {@code assistants} assistants ({@value #HISTORY}-message windows, builtin model without
   * delay: what the issue asks to measure) and {@code chats} chats spread over them, checks one
   * generate's reply, and returns the chats' ids. Blocking: call it from the main thread.
   */
  static List<String> seed(Vertx on, int assistants, int chats) {
    List<String> assistantIds = new ArrayList<>();
    for (int a = 0; a < assistants; a++) {
      assistantIds.add(await(request(on, Addresses.ASSISTANTS_CREATE, new JsonObject()
          .put("name", "bench-" + a).put("systemPrompt", "You are a helpful assistant.")
          .put("model", new JsonObject().put("provider", "builtin").put("options", new JsonObject().put("tokenDelayMs", 0)))
          .put("memory", new JsonObject().put("type", "message_window").put("maxMessages", HISTORY).put("maxTokens", 4096))))
          .getString("id"));
    }
    List<String> chatIds = new ArrayList<>();
    for (int from = 0; from < chats; from += 100) {
      List<Future<JsonObject>> creating = new ArrayList<>();
      for (int c = from; c < Math.min(chats, from + 100); c++) {
        creating.add(request(on, Addresses.CHATS_CREATE, new JsonObject()
            .put("assistantId", assistantIds.get(c % assistantIds.size())).put("name", "chat-" + c)));
      }
      await(Future.all(creating)).list().forEach(chat -> chatIds.add(((JsonObject) chat).getString("id")));
    }
    JsonObject reply = await(request(on, Addresses.GENERATE, new JsonObject().put("chatId", chatIds.get(0))
        .put("jobId", "seed-check-" + UUID.randomUUID()).put("text", "check")));
    String text = reply.getJsonObject("message").getString("text");
    if (!text.equals("You said: check")) {
      throw new IllegalStateException("unexpected reply " + reply.encode());
    }
    return chatIds;
  }

  /** A request on {@code on}'s event bus, answered with the reply's body or failed (after 30 s at most). */
  static Future<JsonObject> request(Vertx on, String address, JsonObject body) {
    return on.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MS))
        .map(reply -> reply.body());
  }
}
