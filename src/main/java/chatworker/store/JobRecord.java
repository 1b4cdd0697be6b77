package chatworker.store;

/**
 * A job record as the job scripts store it: one field of the chat's job hash ({@link Keys#jobs}),
 * named by the job id, whose value is {@code status|expiresAt|node|token|userSeq|ended|payload}
 * (the format is {@code lua/job-record.lua}'s; this reads it for {@link JobLookup#get} and tests).
 *
 * @param status      running, succeeded, failed or cancelled; empty when the record holds only the
 *                    ended marks of a run that never started
 * @param expiresAtMs when the record expires, ms since the epoch
 * @param node        the node of the job's latest run
 * @param token       that run's lock token
 * @param userSeq     the seq of the user message the job appended, or empty
 * @param ended       the lock tokens of runs that ended without success, space-separated
 * @param payload     the success reply JSON (succeeded), the error JSON (failed, cancelled), or empty
 */
public record JobRecord(String status, long expiresAtMs, String node, String token, String userSeq,
    String ended, String payload) {

  /** The record stored as {@code value}. */
  public static JobRecord parse(String value) {
    String[] parts = value.split("\\|", 7);
    if (parts.length != 7) {
      throw new IllegalArgumentException("not a job record: " + value);
    }
    return new JobRecord(parts[0], Long.parseLong(parts[1]), parts[2], parts[3], parts[4], parts[5], parts[6]);
  }

  /** Whether it still counts at {@code nowMs} and says more than ended marks. */
  public boolean liveAt(long nowMs) {
    return !status.isEmpty() && expiresAtMs > nowMs;
  }
}
