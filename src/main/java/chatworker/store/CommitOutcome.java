package chatworker.store;

import io.vertx.core.json.JsonObject;

/**
 * What {@link JobStore#commit} did.
 *
 * @param status the outcome
 * @param reply  the job's full success reply (with {@code message}) for COMMITTED and
 *               ALREADY_SUCCEEDED; null for LOCK_LOST
 */
public record CommitOutcome(Status status, JsonObject reply) {

  /** The outcomes of a commit. */
  public enum Status {
    /** The assistant message and the job's result were stored, and the lock released. */
    COMMITTED,
    /**
     * The job had already succeeded (an earlier commit of this job, perhaps this very call's first
     * attempt, whose answer was lost): {@code reply} is the stored one; nothing was written. Treat it
     * as success.
     */
    ALREADY_SUCCEEDED,
    /** This run no longer holds the chat's lock: nothing was written. */
    LOCK_LOST
  }
}
