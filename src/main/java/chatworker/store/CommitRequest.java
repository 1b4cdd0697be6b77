package chatworker.store;

import io.vertx.core.json.JsonObject;

/**
 * What {@link JobStore#commit} stores for a job that produced its reply.
 *
 * @param chatId              the chat
 * @param jobId               the job
 * @param lockToken           the token this run took the lock with; the commit is fenced by it
 * @param assistantMessageId  the new message's id (a UUID)
 * @param assistantText       the model's reply text
 * @param assistantTokens     its cl100k_base count, kept with the message
 * @param now                 the message's createdAt, ISO-8601
 * @param nodeId              the node running the job, kept in the job record
 * @param replyWithoutMessage the success reply without {@code message} ({@code jobId, chatId, usage,
 *                            node, durationMs}); the store adds {@code message}
 */
public record CommitRequest(String chatId, String jobId, String lockToken, String assistantMessageId,
    String assistantText, int assistantTokens, String now, String nodeId, JsonObject replyWithoutMessage) {}
