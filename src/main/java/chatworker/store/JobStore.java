package chatworker.store;

import chatworker.time.Deadline;
import chatworker.redis.RedisMode;
import chatworker.redis.ResilientRedis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
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
 * The life cycle of generation jobs: {@link #start} (idempotency, the chat lock, the user message,
 * the history), the fenced {@link #commit} of the reply, or {@link #finish} when the job fails. A job
 * costs two round trips, start and commit (or finish), plus a {@link ChatLock#renew} per lease period
 * while it runs. Every write of a job is a Lua script on the chat's slot (see
 * {@code src/main/resources/lua/}). The lock the scripts take and free is {@link #lock()}'s to renew;
 * what a start reads of the chat comes through {@link ChatReads}; a job found by its id alone is
 * {@link JobLookup}'s. Redis problems fail the future with a {@link StoreFailure}; domain outcomes are
 * the returned values.
 */
public final class JobStore {

  private static final LuaScript START = LuaScript.load("job-start", "job-record");
  private static final LuaScript COMMIT = LuaScript.load("job-commit", "job-record");
  private static final LuaScript FINISH = LuaScript.load("job-finish", "job-record");
  /**
   * How long the ended mark of a run lives at least (job-finish extends a record that would expire
   * sooner). A start still on its way when the run ended lands within the command timeout (after it
   * the connection is closed); a minute is ample.
   */
  static final long ENDED_RUN_TTL_SECONDS = 60;
  private static final Set<String> END_STATES = Set.of("failed", "cancelled");
  /**
   * The token of no run (tokens are UUIDs), for a commit that only confirms a success: the lock never
   * holds it, so the script takes its "not ours" branch and writes no message.
   */
  private static final String NO_RUN = "";

  private final ResilientRedis redis;
  private final long jobTtlSeconds;
  private final JobIndex index;
  private final ToIntFunction<String> tokenCounter;
  private final ChatReads reads;
  private final ChatLock lock;

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
    this.reads = new ChatReads(redis, tokenCounter);
    this.lock = new ChatLock(redis);
  }

  /** The chat lock that this store's jobs take and free: their runs renew it through this. */
  public ChatLock lock() {
    return lock;
  }

  /**
   * Takes the chat for a job and reads what the model needs (see {@link StartOutcome} and
   * {@code lua/job-start.lua}): the script takes the lock and appends the user text atomically, and
   * the history is a bounded {@code LRANGE} pipelined right behind it (once the script holds the lock
   * nobody else appends, so the read sees what the script left; {@link ChatReads} plans it from what
   * this node kept of the chat). The {@link JobIndex} entry ({@code HSETNX}, {@code EXPIREAT}) goes
   * last in the same pipeline, so the call costs one round trip. The index is on another slot than
   * the chat: that is fine for a pipeline on one connection (each command is on its own), not for a
   * script. All of it is safe to repeat (the script replays STARTED for the same token), so the layer
   * may retry it.
   *
   * <p>The history's length depends on the assistant's memory ({@link MemoryPolicy}), which the
   * chat's snapshot holds. The snapshot never changes, so the node keeps the ones it has read; the
   * first start on a chat (on this node) reads the snapshot with the script and the history in a
   * second round trip.
   *
   * <p>The index points to the chat where the job id last started. When the job STARTED but the current
   * bucket of the index had an entry already (a restart after failure, or a job id reused on another
   * chat), one more command rewrites it.
   *
   * <p>With durability on, an ALREADY_SUCCEEDED is answered only once the replicas hold the success
   * (one more round trip, see {@link #confirmSucceeded}): the client takes it as the job's reply.
   *
   * <p>When this fails with a {@link StoreFailure} the script may still have run: call {@link #finish}
   * with the same token, which frees the lock if it was taken.
   */
  public Future<StartOutcome> start(StartRequest r, Deadline deadline) {
    return Guard.call(() -> {
      if (r.historyLimit() < StartRequest.FROM_MEMORY || r.historyLimit() > MemoryPolicy.MAX_HISTORY) {
        throw new IllegalArgumentException(
            "historyLimit must be 0.." + MemoryPolicy.MAX_HISTORY + ": " + r.historyLimit());
      }
      if (r.leaseMs() < 1) {
        throw new IllegalArgumentException("leaseMs must be positive: " + r.leaseMs());
      }
      String userMessage = r.userText() == null ? "" : MessageJson.openUser(UUID.randomUUID().toString(),
          r.chatId(), r.userText(), tokenCounter.applyAsInt(r.userText()), r.now(), null);
      JsonObject known = reads.knownAssistant(r.chatId());
      ChatHistory.Read read = reads.plan(r.chatId(), r.historyLimit(), known);
      long now = System.currentTimeMillis();
      List<Request> after = new ArrayList<>(3);
      if (read != null) {
        after.add(read.request());
      }
      // On a Redis Cluster the index's shard lives on another slot, most likely another master, which a
      // batch cannot reach: it goes on its own, at the same time. Elsewhere it rides behind the script.
      List<Request> indexWrites = index.writeIfAbsent(r.jobId(), r.chatId(), now);
      Future<List<Response>> indexedApart = redis.settings().mode() == RedisMode.CLUSTER
          ? redis.batch(indexWrites, true, deadline) : null;
      if (indexedApart == null) {
        after.addAll(indexWrites);
      }
      return Guard.compose(START.runFollowedBy(redis, chatKeys(r.chatId()),
          List.of(r.jobId(), r.lockToken(), r.nodeId(), Long.toString(r.leaseMs()), known == null ? "1" : "0",
              Long.toString(now + TimeUnit.SECONDS.toMillis(jobTtlSeconds)), userMessage, Long.toString(now),
              r.takeOverFrom() == null ? "" : r.takeOverFrom()),
          after, true, deadline), replies -> {
            Response reply = replies.get(0);
            StartOutcome.Status status = StartOutcome.Status.valueOf(reply.get(0).toString());
            if (status == StartOutcome.Status.ALREADY_SUCCEEDED && redis.settings().durabilityReplicas() > 0) {
              return confirmSucceeded(r, deadline);
            }
            if (status != StartOutcome.Status.STARTED) {
              return Future.succeededFuture(StartOutcome.notStarted(status, reply));
            }
            JsonObject assistant = known != null ? known : reads.keepAssistant(r.chatId(), reply.get(1));
            // Once STARTED the lock is ours: nothing appends between the script and these reads.
            Future<List<HistoryMessage>> history = reads.history(r.chatId(), r.historyLimit(), assistant, read,
                read == null ? null : replies.get(1), deadline);
            // the index's writes are its HSETNX (0: an entry was there) and EXPIREAT
            Future<List<Response>> indexReplies = indexedApart != null ? indexedApart
                : Future.succeededFuture(replies.subList(replies.size() - 2, replies.size()));
            Future<?> indexed = indexReplies.compose(written -> written.get(0).toLong() == 1 ? Future.succeededFuture()
                : redis.send(index.overwrite(r.jobId(), r.chatId(), now), true, deadline));
            String user = userMessageOf(reply, userMessage);
            return Guard.map(Future.all(history, indexed), done -> new StartOutcome(status, assistant,
                history.result(), user, null));
          });
    });
  }

  /**
   * With durability on, a start that found its job succeeded answers only once the replicas hold that
   * success, as a commit does: the client takes the stored reply as the job's outcome. The record may
   * have been read from a master that stored it during a failover, after the replica being promoted
   * stopped following it (the commit failed there as not replicated), and that master loses it when it
   * is demoted. The confirmation is a repeat of the commit script with no run's token ({@link #NO_RUN}),
   * sent durably: it writes the chat's seq to itself, so its WAIT covers the record, and answers
   * ALREADY_SUCCEEDED with the reply; LOCK_LOST there means the success is gone where it ran, and the
   * start fails (UNAVAILABLE) so that the client sends the job again.
   */
  private Future<StartOutcome> confirmSucceeded(StartRequest r, Deadline deadline) {
    long now = System.currentTimeMillis();
    return Guard.compose(COMMIT.runDurable(redis, chatKeys(r.chatId()),
        List.of(NO_RUN, "0", "", "", r.jobId(), r.nodeId(), Long.toString(now)), true, deadline), reply -> {
          if (CommitOutcome.Status.valueOf(reply.get(0).toString()) != CommitOutcome.Status.ALREADY_SUCCEEDED) {
            return Future.failedFuture(new StoreFailure(StoreFailure.Kind.UNAVAILABLE, "job '" + r.jobId()
                + "' was found succeeded, but its record is gone where it was to be confirmed (a failover)", null));
          }
          return Future.succeededFuture(new StartOutcome(StartOutcome.Status.ALREADY_SUCCEEDED, null, List.of(),
              null, Replies.jsonOrNull(reply.get(1))));
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
   * Stores the reply, fenced by the lock (see {@link CommitOutcome} and {@code lua/job-commit.lua}).
   * Safe to retry: a re-run after a commit that went through answers ALREADY_SUCCEEDED with the same
   * reply and writes nothing, so it is sent as idempotent and the layer may repeat it after a lost
   * connection.
   */
  public Future<CommitOutcome> commit(CommitRequest r, Deadline deadline) {
    return Guard.map(Guard.call(() -> {
      String message = MessageJson.openAssistant(r.assistantMessageId(), r.chatId(), r.assistantText(),
          r.assistantTokens(), r.now(), r.jobId());
      long now = System.currentTimeMillis();
      return COMMIT.runDurable(redis, chatKeys(r.chatId()),
              List.of(r.lockToken(), Long.toString(now + TimeUnit.SECONDS.toMillis(jobTtlSeconds)), message,
                  MessageJson.openField(r.replyWithoutMessage(), "message"), r.jobId(), r.nodeId(),
                  Long.toString(now)),
              true, deadline);
    }), reply -> {
      CommitOutcome.Status status = CommitOutcome.Status.valueOf(reply.get(0).toString());
      return switch (status) {
        case LOCK_LOST -> new CommitOutcome(status, null);
        case ALREADY_SUCCEEDED -> new CommitOutcome(status, Replies.jsonOrNull(reply.get(1)));
        // the script stored this very reply: the same two pieces joined around this seq
        case COMMITTED -> new CommitOutcome(status, new JsonObject(new LinkedHashMap<>(
            r.replyWithoutMessage().getMap())).put("message", MessageJson.assistantObject(r, reply.get(1).toLong())));
      };
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
    return Guard.map(Guard.call(() -> {
      if (!END_STATES.contains(status)) {
        throw new IllegalArgumentException("status must be failed or cancelled: " + status);
      }
      long now = System.currentTimeMillis();
      return FINISH.runCleanUp(redis, List.of(Keys.lock(chatId), Keys.jobs(chatId), Keys.jobExpiry(chatId),
              Keys.chat(chatId)),
          List.of(token, status, error == null ? "" : error.encode(),
              Long.toString(now + TimeUnit.SECONDS.toMillis(ENDED_RUN_TTL_SECONDS)), jobId, Long.toString(now)),
          true, deadline);
    }), done -> null);
  }

  private static List<String> chatKeys(String chatId) {
    return List.of(Keys.chat(chatId), Keys.messages(chatId), Keys.lock(chatId), Keys.jobs(chatId),
        Keys.jobExpiry(chatId));
  }
}
