package chatworker.store;

import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * What {@link JobStore#start} found or did.
 *
 * @param status       the outcome
 * @param assistant    when STARTED: the assistant as it was when the chat was created; shared by
 *                     the jobs on this chat, so read it, never change it
 * @param history      when STARTED: the chat's newest messages (at most the history limit), oldest
 *                     first, the user message of this job included; else empty
 * @param userMessageJson when STARTED: this job's user message as stored (appended now, or by an
 *                     earlier run of the same job), or null when the job has none; kept as text
 *                     because the job itself never needs it parsed (it is the history's newest)
 * @param storedResult when ALREADY_SUCCEEDED: the job's stored success reply
 * @param runningOn    when RUNNING: the node its job record names
 */
public record StartOutcome(Status status, JsonObject assistant, List<HistoryMessage> history,
    String userMessageJson, JsonObject storedResult, String runningOn) {

  public StartOutcome(Status status, JsonObject assistant, List<HistoryMessage> history, String userMessageJson,
      JsonObject storedResult) {
    this(status, assistant, history, userMessageJson, storedResult, null);
  }

  /** {@link #userMessageJson} parsed, or null. */
  public JsonObject userMessage() {
    return userMessageJson == null ? null : new JsonObject(userMessageJson);
  }

  /** The outcomes of a start. */
  public enum Status {
    /** This run had already ended (its finish reached Redis first): nothing was taken or written. */
    ENDED,
    /** The chat is locked for this run; the job record says running. */
    STARTED,
    /** There is no such chat; nothing was written to any chat. */
    NOT_FOUND,
    /** The job already succeeded: here is its reply; the chat is unchanged. */
    ALREADY_SUCCEEDED,
    /** The job runs now (its lock is alive) on {@link #runningOn}; the chat is unchanged. */
    RUNNING,
    /** Another job holds the chat; the chat is unchanged. */
    LOCKED
  }

  /** An outcome other than STARTED, from the start script's reply (see {@code lua/job-start.lua}). */
  static StartOutcome notStarted(Status status, Response reply) {
    return switch (status) {
      case ALREADY_SUCCEEDED -> new StartOutcome(status, null, List.of(), null, Replies.jsonOrNull(reply.get(1)));
      case RUNNING -> new StartOutcome(status, null, List.of(), null, null,
          reply.size() > 1 && reply.get(1) != null ? reply.get(1).toString() : null);
      default -> new StartOutcome(status, null, List.of(), null, null);
    };
  }
}
