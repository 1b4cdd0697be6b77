package chatworker.store;

import static chatworker.testing.Await.await;

import chatworker.model.Tokenizer;
import chatworker.time.Deadline;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.testing.RedisServer;
import chatworker.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Opens a {@link ResilientRedis} on its own Vert.x with the three stores on it, for one test, and
 * closes both afterwards. Also builds the requests the tests send (the pattern of the redis package's
 * LayerHarness).
 */
final class StoreHarness implements AutoCloseable {

  static final long LEASE_MS = 30_000;

  final Vertx vertx = Vertx.vertx();
  final ResilientRedis redis;
  final AssistantStore assistants;
  final ChatStore chats;
  final JobStore jobs;

  StoreHarness(String url) {
    this(url, 3_600);
  }

  StoreHarness(String url, long jobTtlSeconds) {
    this(settings(url), jobTtlSeconds);
  }

  StoreHarness(JsonObject settings, long jobTtlSeconds) {
    redis = ResilientRedis.create(vertx, RedisSettings.fromJson(settings));
    await(redis.start());
    assistants = new AssistantStore(redis);
    Tokenizer.warmUp(); // loads the encoding here, not on an event loop
    chats = new ChatStore(redis, Tokenizer::count);
    jobs = new JobStore(redis, jobTtlSeconds, Tokenizer::count);
  }

  /** Layer settings for tests: short timeouts so faults show quickly; change them before opening. */
  static JsonObject settings(String url) {
    return new JsonObject()
        .put("url", url)
        .put("connections", 2)
        .put("commandTimeoutMs", 1_000)
        .put("defaultDeadlineMs", 2_000)
        .put("connectTimeoutMs", 500)
        .put("healthCheckIntervalMs", 200)
        .put("readIdleTimeoutMs", 2_000)
        .put("reconnect", new JsonObject().put("initialDelayMs", 20).put("maxDelayMs", 200))
        .put("breaker", new JsonObject().put("maxFailures", 5).put("resetTimeoutMs", 300));
  }

  /** Job {@code jobId}'s record on the chat as stored, or null when there is none. */
  static JobRecord record(RedisServer server, String chatId, String jobId) {
    String value = server.command("HGET", Keys.jobs(chatId), jobId);
    return value == null ? null : JobRecord.parse(value);
  }

  /** The job index's hashes, of every time bucket, of the shard that holds {@code jobId}. */
  static List<String> indexKeys(RedisServer server, String jobId) {
    String anyBucket = Keys.jobIndex(jobId, 0);
    String keys = server.command("KEYS", anyBucket.substring(0, anyBucket.length() - 1) + "*");
    return keys.isEmpty() ? List.of() : List.of(keys.split("\n"));
  }

  /** Seconds until job {@code jobId}'s record on the chat expires; -1: there is none. */
  static long secondsToExpiry(RedisServer server, String chatId, String jobId) {
    JobRecord record = record(server, chatId, jobId);
    return record == null ? -1 : TimeUnit.MILLISECONDS.toSeconds(record.expiresAtMs() - System.currentTimeMillis());
  }

  /** A generous deadline: these tests are about outcomes, not speed. */
  static Deadline deadline() {
    return Deadline.inMillis(5_000);
  }

  /** Creates an assistant and a chat for it; returns the chat's id. */
  String newChat() {
    JsonObject assistant = await(assistants.create(new JsonObject().put("name", "helper")
        .put("systemPrompt", "Be brief.").put("memory", new JsonObject().put("type", "message_window")
            .put("maxMessages", 20)), deadline()));
    return await(chats.create(assistant, "test", null, deadline())).getString("id");
  }

  /** A start of {@code jobId} with the default lease and a history of 20. */
  static StartRequest start(String chatId, String jobId, String token, String text) {
    return start(chatId, jobId, token, text, LEASE_MS);
  }

  static StartRequest start(String chatId, String jobId, String token, String text, long leaseMs) {
    return new StartRequest(chatId, jobId, token, "node-a", leaseMs, text, Instant.now().toString(), 20);
  }

  /** A commit of {@code jobId} whose reply says {@code text}. */
  static CommitRequest commit(String chatId, String jobId, String token, String text) {
    JsonObject reply = new JsonObject().put("jobId", jobId).put("chatId", chatId)
        .put("usage", new JsonObject().put("promptTokens", 3).put("completionTokens", 2))
        .put("node", "node-a").put("durationMs", 7);
    return new CommitRequest(chatId, jobId, token, UUID.randomUUID().toString(), text, Tokenizer.count(text),
        Instant.now().toString(), "node-a", reply);
  }

  static String token() {
    return UUID.randomUUID().toString();
  }

  /** The failure a future ended with, or an assertion error when it succeeded. */
  static RuntimeException failureOf(Future<?> future) {
    return Await.failure(future, RuntimeException.class);
  }

  @Override
  public void close() {
    try {
      await(redis.close());
    } finally {
      await(vertx.close());
    }
  }
}
