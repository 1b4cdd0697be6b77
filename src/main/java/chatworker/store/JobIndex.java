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
 * time bucket ({@link #BUCKETS_PER_TTL} per job TTL). A bucket's hashes expire, all at once, one TTL
 * after the bucket ends, so an entry lives at least one TTL and at most one TTL and a bucket; and
 * each hash stays small (a shard's share of one bucket), so neither its growth nor its expiry costs
 * Redis a noticeable pause.
 *
 * <p>An entry only points: the record on the chat ({@link Keys#jobs}) says whether the job exists.
 * A lookup reads the shard's entry in every bucket that may still live, newest first; a start writes
 * the current bucket, so the newest entry is the chat where the job last started (or tried to).
 */
final class JobIndex {

  /** Time buckets per job TTL: more means smaller hashes and more reads per lookup. */
  static final int BUCKETS_PER_TTL = 8;

  private final long ttlSeconds;
  private final long bucketSeconds;

  JobIndex(long ttlSeconds) {
    this.ttlSeconds = ttlSeconds;
    this.bucketSeconds = Math.max(1, (ttlSeconds + BUCKETS_PER_TTL - 1) / BUCKETS_PER_TTL);
  }

  /**
   * Points {@code jobId} at {@code chatId} in the current bucket unless it points somewhere there
   * already (HSETNX: 1 when written), and sets the bucket's expiry (the same for every entry of it).
   */
  List<Request> writeIfAbsent(String jobId, String chatId, long nowMs) {
    long bucket = bucketOf(nowMs);
    String key = Keys.jobIndex(jobId, bucket);
    return List.of(Request.cmd(Command.HSETNX).arg(key).arg(jobId).arg(chatId),
        Request.cmd(Command.EXPIREAT).arg(key).arg((bucket + 1) * bucketSeconds + ttlSeconds));
  }

  /** Points {@code jobId} at {@code chatId} in the current bucket, over what was there. */
  Request overwrite(String jobId, String chatId, long nowMs) {
    return Request.cmd(Command.HSET).arg(Keys.jobIndex(jobId, bucketOf(nowMs))).arg(jobId).arg(chatId);
  }

  /** Reads of {@code jobId}'s entry in every bucket that may still live at {@code nowMs}, newest first. */
  List<Request> lookup(String jobId, long nowMs) {
    // A bucket's hashes expire at (bucket + 1) * width + TTL; one more bucket each way for clock skew
    // between the nodes that wrote and the one that reads.
    long newest = bucketOf(nowMs) + 1;
    long oldest = Math.floorDiv(nowMs / 1000 - ttlSeconds, bucketSeconds) - 1;
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
