package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/** {@code chat.chats.create}: {@code {assistantId, name?, metadata?}}. */
public record CreateChatRequest(String assistantId, String name, JsonObject metadata) {

  public static CreateChatRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("assistantId", "name", "metadata"));
    String name = in.optionalString("name", 200);
    return new CreateChatRequest(in.requiredId("assistantId"), name == null ? "" : name,
        in.optionalMetadata("metadata"));
  }
}
