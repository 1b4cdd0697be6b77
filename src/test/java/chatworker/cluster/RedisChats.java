package chatworker.cluster;

import chatworker.store.JobRecord;
import chatworker.store.Keys;
import chatworker.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * What Redis itself holds for chats, read around the nodes through the fixture's admin connection:
 * the ground truth a test compares the clients' view with.
 */
final class RedisChats {

  private final RedisServer redis;

  RedisChats(RedisServer redis) {
    this.redis = redis;
  }

  /** Every message of the chat, oldest first ({@code LRANGE msgs 0 -1}: fine for a test's small chats). */
  List<JsonObject> messages(String chatId) {
    String reply = redis.command("LRANGE", Keys.messages(chatId), "0", "-1");
    if (reply == null || reply.isEmpty()) {
      return List.of();
    }
    // One JSON document per element; JSON never holds a raw newline, so the text form splits cleanly.
    return Arrays.stream(reply.split("\n")).map(JsonObject::new).toList();
  }

  /** Whether the chat's generation lock exists. */
  boolean locked(String chatId) {
    return "1".equals(redis.command("EXISTS", Keys.lock(chatId)));
  }

  /** The chats of {@code chatIds} whose lock exists. */
  List<String> lockedChats(Collection<String> chatIds) {
    return chatIds.stream().filter(this::locked).toList();
  }

  /** The {@code status} of the job record, or null when there is none. */
  String jobStatus(String chatId, String jobId) {
    String record = redis.command("HGET", Keys.jobs(chatId), jobId);
    return record == null ? null : JobRecord.parse(record).status();
  }
}
