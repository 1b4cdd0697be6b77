package chatworker.api;

import java.util.Set;

/** {@code chat.assistants.get}, {@code chat.assistants.delete}, {@code chat.chats.get}: {@code {id}}. */
public record IdRequest(String id) {

  public static IdRequest parse(Object body) {
    return new IdRequest(BodyReader.of(body, Set.of("id")).requiredId("id"));
  }
}
