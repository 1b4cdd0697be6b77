package chatworker.store;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The index from a bare job id to the chat it started on, for {@code chat.jobs.get}, kept without a
 * key per job. Entries go into hashes ({@link Keys#jobIndex}) by shard (a hash of the job id) and by
 * time bucket (an eighth of the job TTL, at most {@value #MAX_BUCKET_SECONDS} s, on a grid from the
 * epoch). Each hash expires as a whole, two buckets and a TTL after its bucket began, plus its shard's
 * share of one bucket, so that the shards of a bucket go one at a time, not all at once. An entry so
 * lives at least a TTL and a bucket from its job's start: as long as the record of any job shorter
 * than a bucket, which lives a TTL from its success. Each hash stays small (a shard's share of one
 * bucket), so neither its growth nor its expiry costs Redis a noticeable pause.
 *
 * <p>An entry only points: the record on the chat ({@link Keys#jobs}) says whether the job exists.
 * A lookup reads the shard's entry in every bucket that may still live, newest first; a start writes
 * the current bucket, so the newest entry is the chat where the job last started (or tried to).
 * TTLs of a day or more share one grid, so changing between them keeps old entries findable; a
 * change below a day re-cuts the buckets, and lookups miss the entries written before it (their
 * records still keep the jobs' idempotency).
 */
final class JobIndex {

  /** Time buckets per job TTL, for TTLs under 8 × {@value #MAX_BUCKET_SECONDS} s. */
  static final int BUCKETS_PER_TTL = 8;
  /** The widest bucket (3 h): a week's TTL reads ~60 buckets per lookup. */
  static final long MAX_BUCKET_SECONDS = 10_800;

  private final long ttlSeconds;
  private final long bucketSeconds;

  JobIndex(long ttlSeconds) {
    this.ttlSeconds = ttlSeconds;
    this.bucketSeconds = Math.min(MAX_BUCKET_SECONDS,
        Math.max(1, (ttlSeconds + BUCKETS_PER_TTL - 1) / BUCKETS_PER_TTL));
  }

  /**
   * Points {@code jobId} at {@code chatId} in the current bucket unless it points somewhere there
   * already (HSETNX: 1 when written), and sets the hash's expiry (the same for every entry of it).
   */
  List<Request> writeIfAbsent(String jobId, String chatId, long nowMs) {
    long bucket = bucketOf(nowMs);
    String key = Keys.jobIndex(jobId, bucket);
    long expiresAt = (bucket + 2) * bucketSeconds + ttlSeconds
        + Keys.jobIndexShard(jobId) * bucketSeconds / Keys.JOB_INDEX_SHARDS;
    return List.of(Request.cmd(Command.HSETNX).arg(key).arg(jobId).arg(chatId),
        Request.cmd(Command.EXPIREAT).arg(key).arg(expiresAt));
  }

  /** Points {@code jobId} at {@code chatId} in the current bucket, over what was there. */
  Request overwrite(String jobId, String chatId, long nowMs) {
    return Request.cmd(Command.HSET).arg(Keys.jobIndex(jobId, bucketOf(nowMs))).arg(jobId).arg(chatId);
  }

  /** Reads of {@code jobId}'s entry in every bucket that may still live at {@code nowMs}, newest first. */
  List<Request> lookup(String jobId, long nowMs) {
    // A bucket's hash expires before (bucket + 3) * width + TTL, so the oldest that may live is 3
    // before the one TTL ago; one more bucket each way for clock skew between the nodes that wrote
    // and the one that reads.
    long newest = bucketOf(nowMs) + 1;
    long oldest = Math.floorDiv(nowMs / 1000 - ttlSeconds, bucketSeconds) - 4;
    List<Request> reads = new ArrayList<>();
    for (long bucket = newest; bucket >= oldest; bucket--) {
      reads.add(Request.cmd(Command.HGET).arg(Keys.jobIndex(jobId, bucket)).arg(jobId));
    }
    return reads;
  }

  /** The chats that {@link #lookup}'s replies point to, newest first, each once. */
  static List<String> chatsOf(List<Response> replies) {
    Set<String> chats = new LinkedHashSet<>();
    for (Response reply : replies) {
      if (reply != null) {
        chats.add(reply.toString());
      }
    }
    return List.copyOf(chats);
  }

  private long bucketOf(long nowMs) {
    return Math.floorDiv(nowMs / 1000, bucketSeconds);
  }
}
