package chatworker.store;

/**
 * What {@link JobStore#start} needs to take a chat for one generation job.
 *
 * @param chatId       the chat
 * @param jobId        the job (the client's idempotency key)
 * @param lockToken    a token unique to this run of the job (a UUID); it fences every later write
 * @param nodeId       the node running the job, kept in the job record
 * @param leaseMs      the lock's lease; renew it with {@link ChatLock#renew} while the job runs
 * @param userText     a user message to append under the same lock, or null
 * @param now          the time to record, ISO-8601 ({@code Instant.now().toString()})
 * @param historyLimit how many of the newest messages to read back, 0..{@value MemoryPolicy#MAX_HISTORY},
 *                     or {@link #FROM_MEMORY}: as many as the chat's assistant's memory keeps (see
 *                     {@link MemoryPolicy#historyLimit})
 * @param takeOverFrom a node known to have left the cluster: a run of this job that it holds the chat
 *                     lock for is taken over (that run can no longer commit: its token lost the lock);
 *                     null: a running job answers RUNNING
 */
public record StartRequest(String chatId, String jobId, String lockToken, String nodeId, long leaseMs,
    String userText, String now, int historyLimit, String takeOverFrom) {

  /** {@code historyLimit}: read what the assistant's memory keeps. */
  public static final int FROM_MEMORY = -1;

  /** A start that takes over nothing. */
  public StartRequest(String chatId, String jobId, String lockToken, String nodeId, long leaseMs,
      String userText, String now, int historyLimit) {
    this(chatId, jobId, lockToken, nodeId, leaseMs, userText, now, historyLimit, null);
  }

  /** The same start, taking over the run that {@code departedNode} holds the lock for. */
  public StartRequest takingOverFrom(String departedNode) {
    return new StartRequest(chatId, jobId, lockToken, nodeId, leaseMs, userText, now, historyLimit, departedNode);
  }
}
