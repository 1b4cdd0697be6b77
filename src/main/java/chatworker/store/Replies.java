package chatworker.store;

import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/** Reads the JSON strings that commands and scripts answer with. */
final class Replies {

  private Replies() {}

  /** The JSON object in {@code value}; null for a nil or empty reply (how scripts say "none"). */
  static JsonObject jsonOrNull(Response value) {
    return value == null || value.toString().isEmpty() ? null : new JsonObject(value.toString());
  }

  /** The message JSON strings of the array {@code reply}, from element {@code from} on. */
  static List<JsonObject> messages(Response reply, int from) {
    List<JsonObject> messages = new ArrayList<>(Math.max(0, reply.size() - from));
    for (int i = from; i < reply.size(); i++) {
      messages.add(new JsonObject(reply.get(i).toString()));
    }
    return messages;
  }
}
