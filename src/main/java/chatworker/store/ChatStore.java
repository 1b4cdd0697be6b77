package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.ToIntFunction;

/**
 * Chats and their messages. A chat is the hash {@code cw:chat:{chatId}}; its messages are the list
 * {@code cw:chat:{chatId}:msgs}, appended only, so the message with seq n sits at index n-1 and a
 * page is one bounded {@code LRANGE}. A chat keeps a snapshot of its assistant taken when it was
 * created: the generation uses that snapshot, so deleting the assistant later does not break the chat.
 * Redis problems fail the future with a {@link StoreFailure}.
 */
public final class ChatStore {

  /** The most messages one {@link #listMessages} call returns. */
  public static final int MAX_PAGE = 1_000;

  private static final LuaScript APPEND = LuaScript.load("message-append");

  private final ResilientRedis redis;
  private final ToIntFunction<String> tokenCounter;

  /**
   * A store on the given Redis layer; {@code tokenCounter} counts a message's tokens once, when it is
   * stored, so that a generation reading the chat's memory need not count them again.
   */
  public ChatStore(ResilientRedis redis, ToIntFunction<String> tokenCounter) {
    this.redis = redis;
    this.tokenCounter = tokenCounter;
  }

  /**
   * Creates a chat for {@code assistant} (as {@link AssistantStore#get} returned it, with its
   * {@code id}), keeping a copy of it. {@code name} null is stored as {@code ""}; {@code metadata} is
   * optional. Returns {@code {id, assistantId, name, createdAt, messageCount: 0}} plus {@code metadata}
   * when given.
   */
  public Future<JsonObject> create(JsonObject assistant, String name, JsonObject metadata,
      Deadline deadline) {
    return Guard.call(() -> {
      String assistantId = assistant.getString("id");
      if (assistantId == null) {
        throw new IllegalArgumentException("the assistant has no id");
      }
      JsonObject chat = new JsonObject()
          .put("id", UUID.randomUUID().toString())
          .put("assistantId", assistantId)
          .put("name", name == null ? "" : name)
          .put("createdAt", Instant.now().toString());
      Request hset = Request.cmd(Command.HSET).arg(Keys.chat(chat.getString("id")))
          .arg("id").arg(chat.getString("id"))
          .arg("assistantId").arg(assistantId)
          .arg("name").arg(chat.getString("name"))
          .arg("createdAt").arg(chat.getString("createdAt"))
          .arg("seq").arg(0)
          .arg("assistant").arg(assistant.encode());
      if (metadata != null) {
        hset.arg("metadata").arg(metadata.encode());
        chat.put("metadata", metadata.copy());
      }
      chat.put("messageCount", 0);
      // HSET of a fresh key to fixed values: repeating it changes nothing, so it may be retried.
      return Guard.map(redis.sendDurable(hset, true, deadline), ok -> chat);
    });
  }

  /** The chat {@code {id, assistantId, name, createdAt, messageCount}} (+ metadata), or null when absent. */
  public Future<JsonObject> get(String chatId, Deadline deadline) {
    return Guard.map(Guard.call(() -> redis.send(Request.cmd(Command.HMGET).arg(Keys.chat(chatId))
            .arg("id").arg("assistantId").arg("name").arg("createdAt").arg("seq").arg("metadata"),
            true, deadline)),
        ChatStore::chatOf);
  }

  private static JsonObject chatOf(Response fields) {
    if (fields.get(0) == null) {
      return null;
    }
    JsonObject chat = new JsonObject()
        .put("id", fields.get(0).toString())
        .put("assistantId", fields.get(1).toString())
        .put("name", fields.get(2).toString())
        .put("createdAt", fields.get(3).toString())
        .put("messageCount", fields.get(4).toLong());
    if (fields.get(5) != null) {
      chat.put("metadata", new JsonObject(fields.get(5).toString()));
    }
    return chat;
  }

  /**
   * Appends a user message with the chat's next seq, in one script: {@link AppendOutcome.Status#NOT_FOUND}
   * when there is no chat, {@link AppendOutcome.Status#LOCKED} while a generation holds it (its own user
   * text goes through {@link JobStore#start}). Not retried on a lost connection: it would append twice.
   */
  public Future<AppendOutcome> appendUserMessage(String chatId, String text, JsonObject metadata,
      Deadline deadline) {
    return Guard.map(Guard.call(() -> {
      String message = MessageJson.openUser(UUID.randomUUID().toString(), chatId, text,
          tokenCounter.applyAsInt(text), Instant.now().toString(), metadata);
      return APPEND.runDurable(redis, List.of(Keys.chat(chatId), Keys.messages(chatId), Keys.lock(chatId)),
          List.of(message), false, deadline);
    }), reply -> {
      AppendOutcome.Status status = AppendOutcome.Status.valueOf(reply.get(0).toString());
      return new AppendOutcome(status,
          status == AppendOutcome.Status.APPENDED ? new JsonObject(reply.get(1).toString()) : null);
    });
  }

  /**
   * Up to {@code limit} (1..{@value #MAX_PAGE}) messages with seq greater than {@code afterSeq} (>= 0),
   * oldest first; null when there is no chat. One round trip: {@code EXISTS} and one bounded
   * {@code LRANGE} from index {@code afterSeq}, pipelined.
   */
  public Future<List<JsonObject>> listMessages(String chatId, int limit, long afterSeq, Deadline deadline) {
    return Guard.map(Guard.call(() -> {
      if (limit < 1 || limit > MAX_PAGE) {
        throw new IllegalArgumentException("limit must be 1.." + MAX_PAGE + ": " + limit);
      }
      if (afterSeq < 0) {
        throw new IllegalArgumentException("afterSeq must be >= 0: " + afterSeq);
      }
      long start = Math.min(afterSeq, Long.MAX_VALUE - MAX_PAGE); // beyond any list: an empty page
      Request exists = Request.cmd(Command.EXISTS).arg(Keys.chat(chatId));
      Request range = Request.cmd(Command.LRANGE).arg(Keys.messages(chatId))
          .arg(start).arg(start + limit - 1);
      return redis.batch(List.of(exists, range), true, deadline);
    }), replies -> replies.get(0).toLong() == 0 ? null : Replies.messages(replies.get(1), 0));
  }
}
