package chatworker.store;

import io.vertx.core.json.JsonObject;

/**
 * What {@link ChatStore#appendUserMessage} did.
 *
 * @param status  the outcome
 * @param message the stored message ({@code {id, chatId, role, text, createdAt, seq}} plus
 *                {@code metadata} when given) when {@link Status#APPENDED}, else null
 */
public record AppendOutcome(Status status, JsonObject message) {

  /** The outcomes of an append. */
  public enum Status {
    /** The message was stored with the chat's next seq. */
    APPENDED,
    /** There is no such chat; nothing was written. */
    NOT_FOUND,
    /** A generation holds the chat's lock; nothing was written. */
    LOCKED
  }
}
