package chatworker.api;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/** {@code chat.messages.create}: {@code {chatId, text, metadata?}}; the role is always {@code user}. */
public record CreateMessageRequest(String chatId, String text, JsonObject metadata) {

  public static CreateMessageRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("chatId", "text", "metadata"));
    return new CreateMessageRequest(in.requiredId("chatId"), in.requiredString("text", BodyReader.MAX_TEXT),
        in.optionalMetadata("metadata"));
  }
}
