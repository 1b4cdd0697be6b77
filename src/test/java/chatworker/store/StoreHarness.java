package chatworker.store;

import static chatworker.testing.Await.await;

import chatworker.model.Tokenizer;
import chatworker.time.Deadline;
import chatworker.redis.RedisSettings;
import chatworker.redis.ResilientRedis;
import chatworker.testing.Await;
import chatworker.testing.RedisExtension;
import chatworker.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The stores on a {@link ResilientRedis} on their own Vert.x, for tests, closed afterwards; also builds
 * the requests the tests send (the pattern of the redis package's LayerHarness). Two ways to use it:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final StoreHarness store = StoreHarness.onItsOwnRedis();  // the class's Redis and stores
 * ... store.jobs.start(...) ... store.server().command("PTTL", ...) ...
 *
 * try (StoreHarness store = new StoreHarness(url, jobTtlSeconds)) { ... }  // one test's own
 * }</pre>
 *
 * As an extension in a static field it starts a throwaway Redis server (a {@link RedisExtension})
 * and opens the stores on it before the class's tests, and closes both after them.
 */
final class StoreHarness implements AutoCloseable, BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
    AfterEachCallback {

  static final long LEASE_MS = 30_000;

  /** The server of the extension; null for a harness opened on a URL. */
  private final RedisExtension server;
  Vertx vertx;
  ResilientRedis redis;
  AssistantStore assistants;
  ChatStore chats;
  JobStore jobs;
  ChatLock lock;
  JobLookup lookup;

  StoreHarness(String url) {
    this(url, 3_600);
  }

  StoreHarness(String url, long jobTtlSeconds) {
    this(settings(url), jobTtlSeconds);
  }

  StoreHarness(JsonObject settings, long jobTtlSeconds) {
    this.server = null;
    open(settings, jobTtlSeconds);
  }

  private StoreHarness(RedisExtension server) {
    this.server = server;
  }

  /** An extension (see the class comment): its own Redis server, the stores on it opened before all tests. */
  static StoreHarness onItsOwnRedis() {
    return new StoreHarness(new RedisExtension());
  }

  private void open(JsonObject settings, long jobTtlSeconds) {
    vertx = Vertx.vertx();
    redis = ResilientRedis.create(vertx, RedisSettings.fromJson(settings));
    await(redis.start());
    assistants = new AssistantStore(redis);
    Tokenizer.warmUp(); // loads the encoding here, not on an event loop
    chats = new ChatStore(redis, Tokenizer::count);
    jobs = new JobStore(redis, jobTtlSeconds, Tokenizer::count);
    lock = jobs.lock();
    lookup = new JobLookup(redis, jobTtlSeconds);
  }

  /** The extension's Redis server. */
  RedisServer server() {
    if (server == null) {
      throw new IllegalStateException("a harness opened on a URL has no server of its own");
    }
    return server.server();
  }

  /** Stores of another node on the extension's server (their own Vert.x and caches), closed with it. */
  StoreHarness anotherNode() {
    return server.closeAfterwards(new StoreHarness(server().url()));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server.beforeAll(context);
    open(settings(server().url()), 3_600);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    server.beforeEach(context); // restarts a server that a test stopped
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    server.afterEach(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      close();
    } finally {
      server.afterAll(context);
    }
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
            .put("maxMessages", MemoryPolicy.DEFAULT_MAX_MESSAGES)), deadline()));
    return await(chats.create(assistant, "test", null, deadline())).getString("id");
  }

  /** A start of {@code jobId} with the default lease and the default window's history. */
  static StartRequest start(String chatId, String jobId, String token, String text) {
    return start(chatId, jobId, token, text, LEASE_MS);
  }

  static StartRequest start(String chatId, String jobId, String token, String text, long leaseMs) {
    return new StartRequest(chatId, jobId, token, "node-a", leaseMs, text, Instant.now().toString(),
        MemoryPolicy.DEFAULT_MAX_MESSAGES);
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
