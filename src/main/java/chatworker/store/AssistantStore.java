package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.UUID;

/**
 * Assistants, each one JSON string at {@code cw:asst:{id}}. There is no update: a chat copies the
 * assistant when it is created (see {@link ChatStore#create}), so deleting an assistant never breaks
 * its chats. An assistant is stored with its memory complete ({@link MemoryPolicy}'s defaults filled
 * in), so the copies say how the chats behave whatever the defaults become later. Redis problems fail the future with a {@link StoreFailure}.
 */
public final class AssistantStore {

  private final ResilientRedis redis;

  /** A store on the given Redis layer. */
  public AssistantStore(ResilientRedis redis) {
    this.redis = redis;
  }

  /**
   * Stores a new assistant. {@code assistant} is already validated ({@code name, systemPrompt?, model?,
   * memory?, metadata?}); the store adds {@code id} (a UUID), the memory's defaults and
   * {@code createdAt}, and returns what it stored.
   */
  public Future<JsonObject> create(JsonObject assistant, Deadline deadline) {
    String id = UUID.randomUUID().toString();
    JsonObject stored = new JsonObject().put("id", id).mergeIn(assistant.copy())
        .put("id", id).put("memory", MemoryPolicy.of(assistant).toJson()).put("createdAt", Instant.now().toString());
    // SET of a fresh key to one value: repeating it changes nothing, so it may be retried.
    return Guard.map(Guard.call(() -> redis.sendDurable(Request.cmd(Command.SET).arg(Keys.assistant(id))
        .arg(stored.encode()), true, deadline)), ok -> stored);
  }

  /** The assistant, or null when there is none with this id. */
  public Future<JsonObject> get(String id, Deadline deadline) {
    return Guard.map(Guard.call(() -> redis.send(Request.cmd(Command.GET).arg(Keys.assistant(id)), true, deadline)),
        reply -> reply == null ? null : new JsonObject(reply.toString()));
  }

  /** Deletes the assistant; true when it existed. Its chats keep their own copy of it. */
  public Future<Boolean> delete(String id, Deadline deadline) {
    // Not retried on a lost connection: a repeated DEL would answer "did not exist" for a delete
    // that happened, so the caller hears STORE_UNAVAILABLE instead of a wrong 404.
    return Guard.map(Guard.call(() -> redis.send(Request.cmd(Command.DEL).arg(Keys.assistant(id)), false, deadline)),
        reply -> reply.toLong() > 0);
  }
}
