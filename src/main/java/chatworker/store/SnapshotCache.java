package chatworker.store;

import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The assistant snapshots of the chats this node has started jobs on. A chat's snapshot is written
 * once, when the chat is created, and never changes, so a kept copy cannot go stale; keeping it
 * spares Redis and the node from moving and parsing it on every job. Bounded: the least recently used
 * chat goes first. Thread-safe.
 */
final class SnapshotCache {

  private final Map<String, JsonObject> byChat;

  SnapshotCache(int capacity) {
    this.byChat = Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, JsonObject> eldest) {
        return size() > capacity;
      }
    });
  }

  /** The chat's snapshot, or null when this node has not read it (or let it go). Do not modify it. */
  JsonObject get(String chatId) {
    return byChat.get(chatId);
  }

  void put(String chatId, JsonObject snapshot) {
    byChat.put(chatId, snapshot);
  }
}
