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
 * cw:chat:{chatId}:job:jobId          hash: the job record: status, node, token, userSeq, result,
 *                                     error, ended:&lt;token&gt; per ended run (EX jobTtlSeconds)
 * cw:job:{jobId}                      string: chatId, for lookups by bare jobId (EX jobTtlSeconds)
 * </pre>
 */
public final class Keys {

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

  /** The record of job {@code jobId} on the chat. */
  public static String job(String chatId, String jobId) {
    return chat(chatId) + ":job:" + checked(jobId);
  }

  /** The index from a bare job id to its chat. */
  public static String jobIndex(String jobId) {
    return "cw:job:{" + checked(jobId) + "}";
  }

  private static String checked(String id) {
    if (id == null || id.isEmpty() || id.indexOf('{') >= 0 || id.indexOf('}') >= 0) {
      throw new IllegalArgumentException("an id must be non-empty and without braces: " + id);
    }
    return id;
  }
}
