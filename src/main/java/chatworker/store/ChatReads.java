package chatworker.store;

import chatworker.redis.ResilientRedis;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * What a job's start reads of its chat, the assistant snapshot and the newest messages its memory
 * keeps ({@link MemoryPolicy#historyLimit}), served as far as it can from what this node kept of the
 * chat: the snapshot never changes ({@link SnapshotCache}), and a kept window needs only what came
 * after it ({@link ChatHistory}). {@link JobStore#start} pipelines the planned read behind its script
 * and hands the reply back here. Thread-safe.
 */
final class ChatReads {

  /** The most chats whose assistant snapshot a node keeps (see {@link SnapshotCache}); ~1 KB each. */
  static final int SNAPSHOTS_KEPT = 10_000;
  /**
   * How much history a node keeps over all chats (see {@link ChatHistory}): characters of text plus
   * ~100 per message, so ~50,000 short messages or ~500 of 32 KB; at most ~60 MB of heap.
   */
  static final long HISTORY_KEPT_CHARS = 25_000_000;

  private final SnapshotCache snapshots = new SnapshotCache(SNAPSHOTS_KEPT);
  private final ChatHistory histories;

  ChatReads(ResilientRedis redis, ToIntFunction<String> tokenCounter) {
    this.histories = new ChatHistory(redis, tokenCounter, HISTORY_KEPT_CHARS);
  }

  /** The chat's assistant snapshot if this node has it, else null: then the start script must send it. */
  JsonObject knownAssistant(String chatId) {
    return snapshots.get(chatId);
  }

  /**
   * The history read to pipeline behind the start script, for {@code requested} messages
   * ({@link StartRequest#historyLimit}), or null: none is needed, or its length is not known before
   * the snapshot is ({@code known} null, the first start on the chat here).
   */
  ChatHistory.Read plan(String chatId, int requested, JsonObject known) {
    int limit = limit(requested, known);
    return limit > 0 ? histories.plan(chatId, limit) : null;
  }

  /** Keeps the snapshot the start script sent (JSON) and returns it. */
  JsonObject keepAssistant(String chatId, Response encoded) {
    JsonObject snapshot = new JsonObject(encoded.toString());
    snapshots.put(chatId, snapshot);
    return snapshot;
  }

  /**
   * The history, once the start holds the lock (nobody appends until it ends): from the reply to the
   * planned {@code read}, or, when none was planned, read now (a second round trip) for as many
   * messages as {@code assistant}'s memory keeps.
   */
  Future<List<HistoryMessage>> history(String chatId, int requested, JsonObject assistant, ChatHistory.Read read,
      Response readReply, Deadline deadline) {
    if (read != null) {
      return histories.complete(read, readReply, deadline);
    }
    int limit = limit(requested, assistant);
    return limit > 0 ? histories.readNewest(chatId, limit, deadline) : Future.succeededFuture(List.of());
  }

  private static int limit(int requested, JsonObject assistant) {
    return requested != StartRequest.FROM_MEMORY ? requested
        : assistant != null ? MemoryPolicy.of(assistant).historyLimit() : StartRequest.FROM_MEMORY;
  }
}
