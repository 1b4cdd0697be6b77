package chatworker.store;

import chatworker.redis.ResilientRedis;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;

/**
 * The chat lock while a job holds it: {@code cw:chat:{chatId}:lock}, whose value is the token of the
 * run that holds it. A job takes it in its start script and frees it in its commit or finish script
 * ({@link JobStore}), in the same atomic step as the record they write; in between its holder keeps it
 * with {@link #renew}. Every change is fenced by the token (Lua compare-and-set), so only the holder
 * renews or releases it, and a lock whose node died expires by its lease. Redis problems fail the
 * future with a {@link StoreFailure}.
 */
public final class ChatLock {

  private static final LuaScript RENEW = LuaScript.load("lock-renew");
  private static final LuaScript RELEASE = LuaScript.load("lock-release");

  private final ResilientRedis redis;

  /** The lock on the given Redis layer. */
  public ChatLock(ResilientRedis redis) {
    this.redis = redis;
  }

  /** Resets the lock's lease to {@code leaseMs} if it still holds {@code token}; false when it does not. */
  public Future<Boolean> renew(String chatId, String token, long leaseMs, Deadline deadline) {
    return Guard.map(Guard.call(() -> RENEW.run(redis, List.of(Keys.lock(chatId)),
        List.of(token, Long.toString(leaseMs)), true, deadline)), reply -> reply.toLong() == 1);
  }

  /**
   * Deletes the lock if it holds {@code token}; true when it did. Sent as a clean-up
   * ({@link LuaScript#runCleanUp}): it gets through when ordinary calls find the Redis queue full.
   */
  public Future<Boolean> release(String chatId, String token, Deadline deadline) {
    return Guard.map(Guard.call(() -> RELEASE.runCleanUp(redis, List.of(Keys.lock(chatId)), List.of(token), true,
        deadline)), reply -> reply.toLong() == 1);
  }

  /** The token that holds the chat's lock, or null when it is free (for tests and diagnostics). */
  public Future<String> holder(String chatId, Deadline deadline) {
    return Guard.map(Guard.call(() -> redis.send(Request.cmd(Command.GET).arg(Keys.lock(chatId)), true, deadline)),
        reply -> reply == null ? null : reply.toString());
  }
}
