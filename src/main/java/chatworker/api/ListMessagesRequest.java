package chatworker.api;

import java.util.Set;

/** {@code chat.messages.list}: {@code {chatId, limit?: 1..1000 (100), afterSeq?}}. */
public record ListMessagesRequest(String chatId, int limit, long afterSeq) {

  public static ListMessagesRequest parse(Object body) {
    BodyReader in = BodyReader.of(body, Set.of("chatId", "limit", "afterSeq"));
    Integer limit = in.optionalInt("limit", 1, 1_000);
    Long afterSeq = in.optionalLong("afterSeq", 0, Long.MAX_VALUE / 2);
    return new ListMessagesRequest(in.requiredId("chatId"), limit == null ? 100 : limit,
        afterSeq == null ? 0 : afterSeq);
  }
}
