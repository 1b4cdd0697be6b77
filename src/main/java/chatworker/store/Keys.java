package chatworker.store;

/**
 * The Redis key schema, the one place key names are made. Every key of one chat carries the chat id
 * as its hash tag ({@code {chatId}}), so a script that touches a chat, its messages, its lock and its
 * job records stays on one slot of a Redis Cluster. Ids must not contain braces, or the tag would
 * be cut short.
 *
 * <pre>
 * cw:asst:{assistantId}               string: the assistant JSON
 * cw:chat:{chatId}                    hash: id, assistantId, name, createdAt, metadata, seq, assistant
 * cw:chat:{chatId}:msgs               list: message JSON, seq n at index n-1
 * cw:chat:{chatId}:lock               string: the lock token of the running generation (PX lease)
 * cw:chat:{chatId}:jobs               hash: the chat's job records, field jobId (see lua/job-record.lua)
 * cw:chat:{chatId}:jobs:expiry        list: "expiresAt jobId" per record, the order to forget them in
 * cw:jobidx:{shard}:bucket            hash: jobId to chatId, for lookups by bare jobId; one of
 *                                     {@value #JOB_INDEX_SHARDS} shards per time bucket (see JobIndex)
 * </pre>
 *
 * <p>Nothing here is a key per job: a keyspace that grows with every job makes Redis rehash all of it
 * at each doubling, which stalls it (docs/BENCHMARKS.md, "the half-load stall").
 */
public final class Keys {

  /** How many shards the job index is split into, so that no one hash grows large. */
  public static final int JOB_INDEX_SHARDS = 256;

  private Keys() {}

  /** The assistant {@code id}. */
  public static String assistant(String id) {
    return "cw:asst:{" + checked(id) + "}";
  }

  /** The chat hash. */
  public static String chat(String chatId) {
    return "cw:chat:{" + checked(chatId) + "}";
  }

  /** The chat's message list. */
  public static String messages(String chatId) {
    return chat(chatId) + ":msgs";
  }

  /** The chat's generation lock. */
  public static String lock(String chatId) {
    return chat(chatId) + ":lock";
  }

  /** The chat's job records, one hash field per job ({@link JobRecord}). */
  public static String jobs(String chatId) {
    return chat(chatId) + ":jobs";
  }

  /** The queue of the chat's job records by expiry. */
  public static String jobExpiry(String chatId) {
    return jobs(chatId) + ":expiry";
  }

  /** The shard of the job index that holds {@code jobId}, for the time bucket {@code bucket}. */
  public static String jobIndex(String jobId, long bucket) {
    return "cw:jobidx:{" + jobIndexShard(jobId) + "}:" + bucket;
  }

  /** The shard of the job index, 0..{@value #JOB_INDEX_SHARDS}-1, that holds {@code jobId}. */
  public static int jobIndexShard(String jobId) {
    return Math.floorMod(checked(jobId).hashCode(), JOB_INDEX_SHARDS);
  }

  private static String checked(String id) {
    if (id == null || id.isEmpty() || id.indexOf('{') >= 0 || id.indexOf('}') >= 0) {
      throw new IllegalArgumentException("an id must be non-empty and without braces: " + id);
    }
    return id;
  }
}
