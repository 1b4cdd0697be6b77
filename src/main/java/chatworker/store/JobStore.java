package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * Generation jobs: the chat lock, the job record and the fenced commit of the reply. A job costs two
 * round trips: {@link #start} and {@link #commit} (or {@link #finish} when it fails), plus a
 * {@link #renewLock} per lease period while it runs. Every write of a job is a Lua script on the chat's
 * slot (see {@code src/main/resources/lua/}). Redis problems fail the future with the layer's
 * {@code RedisFailure}; domain outcomes are the returned values.
 */
public final class JobStore {

  /** The most history messages {@link #start} reads back. */
  public static final int MAX_HISTORY = 1_000;
  /** The most chats whose assistant snapshot a node keeps (see {@link SnapshotCache}); ~1 KB each. */
  static final int SNAPSHOTS_KEPT = 10_000;
  /**
   * How much history a node keeps over all chats (see {@link ChatHistory}): characters of text plus
   * ~100 per message, so ~50,000 short messages or ~500 of 32 KB; at most ~60 MB of heap.
   */
  static final long HISTORY_KEPT_CHARS = 25_000_000;

  private static final LuaScript START = LuaScript.load("job-start", "job-record");
  private static final LuaScript COMMIT = LuaScript.load("job-commit", "job-record");
  private static final LuaScript FINISH = LuaScript.load("job-finish", "job-record");
  /**
   * How long the ended mark of a run lives at least (job-finish extends a record that would expire
   * sooner). A start still on its way when the run ended lands within the command timeout (after it
   * the connection is closed); a minute is ample.
   */
  static final long ENDED_RUN_TTL_SECONDS = 60;
  private static final LuaScript RENEW = LuaScript.load("lock-renew");
  private static final LuaScript RELEASE = LuaScript.load("lock-release");
  private static final Set<String> END_STATES = Set.of("failed", "cancelled");

  private final ResilientRedis redis;
  private final long jobTtlSeconds;
  private final JobIndex index;
  private final ToIntFunction<String> tokenCounter;
  private final SnapshotCache snapshots = new SnapshotCache(SNAPSHOTS_KEPT);
  private final ChatHistory histories;

  /**
   * A store on the given Redis layer; a job is kept {@code jobTtlSeconds} from its latest start or its
   * success (docs/STORE.md, "Expiry");
   * {@code tokenCounter} counts each stored message's tokens once (see {@link ChatStore}).
   */
  public JobStore(ResilientRedis redis, long jobTtlSeconds, ToIntFunction<String> tokenCounter) {
    if (jobTtlSeconds < 1) {
      throw new IllegalArgumentException("jobTtlSeconds must be positive: " + jobTtlSeconds);
    }
    this.redis = redis;
    this.jobTtlSeconds = jobTtlSeconds;
    this.index = new JobIndex(jobTtlSeconds);
    this.tokenCounter = tokenCounter;
    this.histories = new ChatHistory(redis, tokenCounter, HISTORY_KEPT_CHARS);
  }

  /**
   * Takes the chat for a job and reads what the model needs (see {@link StartOutcome} and
   * {@code lua/job-start.lua}): the script takes the lock and appends the user text atomically, and
   * the history is a bounded {@code LRANGE} pipelined right behind it (once the script holds the lock
   * nobody else appends, so the read sees what the script left; {@link ChatHistory} reads only what
   * came after the messages this node kept from the chat's last job here). The {@link JobIndex} entry
   * ({@code HSETNX}, {@code EXPIREAT}) goes last in the same pipeline, so the call costs one round
   * trip. The index is on another slot than the chat: that is fine for a pipeline on one connection
   * (each command is on its own), not for a script. All of it is safe to repeat (the script replays
   * STARTED for the same token), so the layer may retry it.
   *
   * <p>The history's length depends on the assistant's memory, which the chat's snapshot holds. The
   * snapshot never changes, so the store keeps the ones it has read; the first start on a chat (on
   * this node) reads the snapshot with the script and the history in a second round trip.
   *
   * <p>The index points to the chat where the job id last started. When the job STARTED but the current
   * bucket of the index had an entry already (a restart after failure, or a job id reused on another
   * chat), one more command rewrites it.
   *
   * <p>When this fails with a {@code RedisFailure} the script may still have run: call {@link #finish}
   * with the same token, which frees the lock if it was taken.
   */
  public Future<StartOutcome> start(StartRequest r, Deadline deadline) {
    return Guard.call(() -> {
      if (r.historyLimit() < StartRequest.FROM_MEMORY || r.historyLimit() > MAX_HISTORY) {
        throw new IllegalArgumentException(
            "historyLimit must be 0.." + MAX_HISTORY + ": " + r.historyLimit());
      }
      if (r.leaseMs() < 1) {
        throw new IllegalArgumentException("leaseMs must be positive: " + r.leaseMs());
      }
      String userMessage = r.userText() == null ? "" : MessageJson.openUser(UUID.randomUUID().toString(),
          r.chatId(), r.userText(), tokenCounter.applyAsInt(r.userText()), r.now(), null);
      JsonObject known = snapshots.get(r.chatId());
      int limit = r.historyLimit() != StartRequest.FROM_MEMORY ? r.historyLimit()
          : known != null ? historyLimit(known) : StartRequest.FROM_MEMORY;
      ChatHistory.Read read = limit > 0 ? histories.plan(r.chatId(), limit) : null;
      long now = System.currentTimeMillis();
      List<Request> after = new ArrayList<>(3);
      if (read != null) {
        after.add(read.request());
      }
      after.addAll(index.writeIfAbsent(r.jobId(), r.chatId(), now));
      return START.runFollowedBy(redis, chatKeys(r.chatId()),
          List.of(r.jobId(), r.lockToken(), r.nodeId(), Long.toString(r.leaseMs()), known == null ? "1" : "0",
              Long.toString(now + TimeUnit.SECONDS.toMillis(jobTtlSeconds)), userMessage, Long.toString(now)),
          after, true, deadline).compose(replies -> {
            Response reply = replies.get(0);
            StartOutcome.Status status = StartOutcome.Status.valueOf(reply.get(0).toString());
            if (status != StartOutcome.Status.STARTED) {
              return Future.succeededFuture(StartOutcome.notStarted(status, reply));
            }
            JsonObject assistant = known != null ? known : snapshotOf(r.chatId(), reply.get(1));
            int historyLimit = limit != StartRequest.FROM_MEMORY ? limit : historyLimit(assistant);
            // Once STARTED the lock is ours: nothing appends between the script and these reads.
            Future<List<HistoryMessage>> history = read != null ? histories.complete(read, replies.get(1), deadline)
                : historyLimit > 0 ? histories.readNewest(r.chatId(), historyLimit, deadline)
                : Future.succeededFuture(List.of());
            // the pipeline ends with the index's HSETNX (0: an entry was there) and EXPIREAT
            boolean indexWritten = replies.get(replies.size() - 2).toLong() == 1;
            Future<?> indexed = indexWritten ? Future.succeededFuture()
                : redis.send(index.overwrite(r.jobId(), r.chatId(), now), true, deadline);
            String user = userMessageOf(reply, userMessage);
            return Future.all(history, indexed).map(done -> new StartOutcome(status, assistant, history.result(),
                user, null));
          });
    });
  }

  /**
   * This run's user message as stored: the one an earlier run of the job appended, or the one the
   * script just appended (what we sent, closed with its seq), or null when there is none.
   */
  private static String userMessageOf(Response started, String sentOpen) {
    String earlier = started.get(3).toString();
    if (!earlier.isEmpty()) {
      return earlier;
    }
    long seq = started.get(2).toLong();
    return seq == 0 ? null : sentOpen + seq + "}";
  }

  /**
   * How many of a chat's newest messages its assistant's memory needs: zero 1 (the pending user turn),
   * naive {@value #MAX_HISTORY}, message_window its {@code maxMessages} (20 by default).
   */
  public static int historyLimit(JsonObject assistant) {
    JsonObject memory = assistant.getJsonObject("memory", new JsonObject());
    return switch (memory.getString("type", "message_window")) {
      case "zero" -> 1;
      case "naive" -> MAX_HISTORY;
      default -> Math.min(MAX_HISTORY, memory.getInteger("maxMessages", 20));
    };
  }

  private JsonObject snapshotOf(String chatId, Response encoded) {
    JsonObject snapshot = new JsonObject(encoded.toString());
    snapshots.put(chatId, snapshot);
    return snapshot;
  }


  /** Resets the lock's lease to {@code leaseMs} if it still holds {@code token}; false when it does not. */
  public Future<Boolean> renewLock(String chatId, String token, long leaseMs, Deadline deadline) {
    return Guard.call(() -> RENEW.run(redis, List.of(Keys.lock(chatId)),
        List.of(token, Long.toString(leaseMs)), true, deadline)).map(reply -> reply.toLong() == 1);
  }

  /**
   * Stores the reply, fenced by the lock (see {@link CommitOutcome} and {@code lua/job-commit.lua}).
   * Safe to retry: a re-run after a commit that went through answers ALREADY_SUCCEEDED with the same
   * reply and writes nothing, so it is sent as idempotent and the layer may repeat it after a lost
   * connection.
   */
  public Future<CommitOutcome> commit(CommitRequest r, Deadline deadline) {
    return Guard.call(() -> {
      String message = MessageJson.openAssistant(r.assistantMessageId(), r.chatId(), r.assistantText(),
          r.assistantTokens(), r.now(), r.jobId());
      long now = System.currentTimeMillis();
      return COMMIT.run(redis, chatKeys(r.chatId()),
              List.of(r.lockToken(), Long.toString(now + TimeUnit.SECONDS.toMillis(jobTtlSeconds)), message,
                  MessageJson.openField(r.replyWithoutMessage(), "message"), r.jobId(), r.nodeId(),
                  Long.toString(now)),
              true, deadline)
          .map(reply -> {
            CommitOutcome.Status status = CommitOutcome.Status.valueOf(reply.get(0).toString());
            return switch (status) {
              case LOCK_LOST -> new CommitOutcome(status, null);
              case ALREADY_SUCCEEDED -> new CommitOutcome(status, Replies.jsonOrNull(reply.get(1)));
              // the script stored this very reply: the same two pieces joined around this seq
              case COMMITTED -> new CommitOutcome(status, new JsonObject(new LinkedHashMap<>(
                  r.replyWithoutMessage().getMap())).put("message", MessageJson.assistantObject(r, reply.get(1).toLong())));
            };
          });
    });
  }

  /**
   * Ends a job that did not succeed: sets {@code status} ({@code failed} or {@code cancelled}) and
   * {@code error} (nullable) on its record, unless the record is succeeded or belongs to another run
   * of the job; frees the lock only if it holds {@code token}. Safe to repeat. Sent as a clean-up
   * ({@link LuaScript#runCleanUp}): it gets through when ordinary calls find the Redis queue full.
   */
  public Future<Void> finish(String chatId, String jobId, String token, String status, JsonObject error,
      Deadline deadline) {
    return Guard.call(() -> {
      if (!END_STATES.contains(status)) {
        throw new IllegalArgumentException("status must be failed or cancelled: " + status);
      }
      long now = System.currentTimeMillis();
      return FINISH.runCleanUp(redis, List.of(Keys.lock(chatId), Keys.jobs(chatId), Keys.jobExpiry(chatId),
              Keys.chat(chatId)),
          List.of(token, status, error == null ? "" : error.encode(),
              Long.toString(now + TimeUnit.SECONDS.toMillis(ENDED_RUN_TTL_SECONDS)), jobId, Long.toString(now)),
          true, deadline);
    }).mapEmpty();
  }

  /** Deletes the lock if it holds {@code token}; true when it did. */
  public Future<Boolean> releaseLock(String chatId, String token, Deadline deadline) {
    return Guard.call(() -> RELEASE.runCleanUp(redis, List.of(Keys.lock(chatId)), List.of(token), true, deadline))
        .map(reply -> reply.toLong() == 1);
  }

  /**
   * The job {@code {jobId, chatId, status, node, result?, error?}} ({@code result} and {@code error}
   * as objects), or null when there is none (never started, or expired). Two round trips: the
   * {@link JobIndex}, then the record on the chat the index names; a pointer to a chat without the
   * record (a start there that did not take, or an expired record) falls back to the next older one.
   */
  public Future<JsonObject> getJob(String jobId, Deadline deadline) {
    return Guard.call(() -> {
      long now = System.currentTimeMillis();
      return redis.batch(index.lookup(jobId, now), true, deadline)
          .compose(entries -> findRecord(jobId, JobIndex.chatsOf(entries), 0, now, deadline));
    });
  }

  private Future<JsonObject> findRecord(String jobId, List<String> chats, int next, long now, Deadline deadline) {
    if (next == chats.size()) {
      return Future.succeededFuture();
    }
    String chatId = chats.get(next);
    return redis.send(Request.cmd(Command.HGET).arg(Keys.jobs(chatId)).arg(jobId), true, deadline)
        .compose(value -> {
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

  /** The token that holds the chat's lock, or null when it is free (for tests and diagnostics). */
  public Future<String> lockHolder(String chatId, Deadline deadline) {
    return Guard.call(() -> redis.send(Request.cmd(Command.GET).arg(Keys.lock(chatId)), true, deadline))
        .map(reply -> reply == null ? null : reply.toString());
  }

  private static List<String> chatKeys(String chatId) {
    return List.of(Keys.chat(chatId), Keys.messages(chatId), Keys.lock(chatId), Keys.jobs(chatId),
        Keys.jobExpiry(chatId));
  }
}
