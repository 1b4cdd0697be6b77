package chatworker.store;

import chatworker.redis.ResilientRedis;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;

/**
 * Finds a job from its bare id, for {@code chat.jobs.get}: the {@link JobIndex} says on which chats it
 * started, the chat's job hash ({@link Keys#jobs}) holds its record. Only reads; the job life cycle,
 * which writes both, is {@link JobStore}'s. Redis problems fail the future with a {@link StoreFailure}.
 */
public final class JobLookup {

  private final ResilientRedis redis;
  private final JobIndex index;

  /**
   * A lookup on the given Redis layer, for jobs kept {@code jobTtlSeconds} (the same TTL as the
   * {@link JobStore} that writes them: it cuts the index's time buckets).
   */
  public JobLookup(ResilientRedis redis, long jobTtlSeconds) {
    if (jobTtlSeconds < 1) {
      throw new IllegalArgumentException("jobTtlSeconds must be positive: " + jobTtlSeconds);
    }
    this.redis = redis;
    this.index = new JobIndex(jobTtlSeconds);
  }

  /**
   * The job {@code {jobId, chatId, status, node, result?, error?}} ({@code result} and {@code error}
   * as objects), or null when there is none (never started, or expired). Two round trips: the
   * {@link JobIndex}, then the record on the chat the index names; a pointer to a chat without the
   * record (a start there that did not take, or an expired record) falls back to the next older one.
   */
  public Future<JsonObject> get(String jobId, Deadline deadline) {
    return Guard.call(() -> {
      long now = System.currentTimeMillis();
      return Guard.compose(redis.batch(index.lookup(jobId, now), true, deadline),
          entries -> findRecord(jobId, JobIndex.chatsOf(entries), 0, now, deadline));
    });
  }

  private Future<JsonObject> findRecord(String jobId, List<String> chats, int next, long now, Deadline deadline) {
    if (next == chats.size()) {
      return Future.succeededFuture();
    }
    String chatId = chats.get(next);
    return Guard.compose(redis.send(Request.cmd(Command.HGET).arg(Keys.jobs(chatId)).arg(jobId), true, deadline),
        value -> {
          JobRecord record = value == null ? null : JobRecord.parse(value.toString());
          return record != null && record.liveAt(now) ? Future.succeededFuture(jobOf(jobId, chatId, record))
              : findRecord(jobId, chats, next + 1, now, deadline);
        });
  }

  private static JsonObject jobOf(String jobId, String chatId, JobRecord record) {
    JsonObject job = new JsonObject()
        .put("jobId", jobId)
        .put("chatId", chatId)
        .put("status", record.status())
        .put("node", record.node());
    if (!record.payload().isEmpty()) {
      job.put(record.status().equals("succeeded") ? "result" : "error", new JsonObject(record.payload()));
    }
    return job;
  }
}
