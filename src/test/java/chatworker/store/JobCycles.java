package chatworker.store;

import static chatworker.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import chatworker.redis.RedisHealth;
import chatworker.redis.RedisTopology;
import chatworker.testing.Await;
import chatworker.testing.RedisServer;
import chatworker.time.Deadline;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;

/**
 * Generation jobs in flight for the topology tests: each chat loops over jobs the way the pipeline
 * ({@code GenerationJob}) runs one: {@link JobStore#start}, then {@link JobStore#commit} with the
 * run's lock token under one job deadline; after a failed start or commit, or a LOCK_LOST commit,
 * {@link JobStore#finish} ({@code failed}) with that token, whose failure leaves the lock to its
 * lease. A job that was not acknowledged is sent again with a new token, as a client re-sends a job
 * after a 503; an acknowledged one is followed by the next.
 *
 * <p>Every acknowledged job is remembered (a commit's COMMITTED or ALREADY_SUCCEEDED, or a start's
 * ALREADY_SUCCEEDED: each hands the client a reply), everything else is counted, so that a test can
 * check after a fault that nothing acknowledged is missing, no failure was REFUSED and no lock is left.
 */
final class JobCycles {

  /** Shorter than the pipeline's 15 s, so a lock left to its lease is gone soon; far above a job's deadline. */
  static final long LEASE_MS = 8_000;
  /** One deadline for start and commit, as the pipeline has one per job (no model runs in between). */
  static final long JOB_DEADLINE_MS = 5_000;
  /** The pipeline's clean-up deadline ({@code GenerationJob.CLEANUP_DEADLINE_MS}). */
  static final long CLEANUP_DEADLINE_MS = 2_000;
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** The scripts every job runs, start and commit; a promoted replica must get them by the EVAL fallback. */
  private static final List<LuaScript> JOB_SCRIPTS = List.of(LuaScript.load("job-start", "job-record"),
      LuaScript.load("job-commit", "job-record"));

  /**
   * A job that a client was told succeeded: {@code via} says which answer told it, {@code earlier}
   * what the job's earlier runs met, {@code atMs} when (since the loops started), for the assertions'
   * messages.
   */
  record Ack(String chatId, String jobId, String messageId, String via, List<String> earlier, long atMs) {}

  private final StoreHarness store;
  private final List<String> chats;
  private final Map<String, Ack> acknowledged = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> ackedPerChat = new ConcurrentHashMap<>();
  /** Failed store calls per chat (start, commit, finish), to tell a fault's own chats from the others. */
  private final Map<String, LongAdder> failedPerChat = new ConcurrentHashMap<>();
  /** Failed store calls by step and kind, e.g. {@code commit:UNAVAILABLE}. */
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  /** Answers that are no failure but no success either, e.g. {@code start:LOCKED}, {@code commit:LOCK_LOST}. */
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  /** What a REFUSED or unexpected failure said (the first few), for the assertion's message. */
  private final Queue<String> oddFailures = new ConcurrentLinkedQueue<>();
  /** The first few distinct messages of each failure count's key, for the report. */
  private final Map<String, Set<String>> failureSamples = new ConcurrentHashMap<>();
  /** Tokens of runs whose finish failed: the pipeline leaves their locks (if any) to the lease. */
  private final Set<String> leftToLease = ConcurrentHashMap.newKeySet();
  private final LongAdder cleanUps = new LongAdder();
  /** Per chat, what the runs of its current job met so far; each chat's loop is its only user. */
  private final Map<String, List<String>> earlierRuns = new ConcurrentHashMap<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger running = new AtomicInteger();
  private final Promise<Void> allStopped = Promise.promise();
  private final long startedNanos = System.nanoTime();
  private final AtomicLong lastAckNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong longestAckGapNanos = new AtomicLong();
  /** What the test did when (ms since the loops started), for the report. */
  private final Map<String, Long> events = new ConcurrentHashMap<>();

  private JobCycles(StoreHarness store, List<String> chats) {
    this.store = store;
    this.chats = List.copyOf(chats);
    chats.forEach(chat -> {
      ackedPerChat.put(chat, new LongAdder());
      failedPerChat.put(chat, new LongAdder());
      earlierRuns.put(chat, new ArrayList<>());
    });
  }

  /**
   * Creates {@code count} chats (each with its own assistant) through the stores. A create is a
   * durable write: on a topology just started, on a busy machine, its WAIT may time out (NOT_REPLICATED),
   * so a failed create is tried again (another chat, the failed one is never used).
   */
  static List<String> newChats(StoreHarness store, int count) {
    List<String> chats = new ArrayList<>();
    while (chats.size() < count) {
      chats.add(Await.untilPresent(() -> {
        try {
          return store.newChat();
        } catch (StoreFailure e) {
          return null;
        }
      }, WAIT, "a chat created"));
    }
    return chats;
  }

  /** Starts one loop per chat on a context of the harness's Vert.x. */
  static JobCycles start(StoreHarness store, List<String> chats) {
    JobCycles cycles = new JobCycles(store, chats);
    cycles.running.set(chats.size());
    store.vertx.getOrCreateContext().runOnContext(v -> {
      for (int chat = 0; chat < chats.size(); chat++) {
        cycles.loop(chat, 0);
      }
    });
    return cycles;
  }

  private void loop(int chat, long job) {
    if (stopping.get()) {
      if (running.decrementAndGet() == 0) {
        allStopped.complete();
      }
      return;
    }
    Run run = new Run(chats.get(chat), "job-" + chat + "-" + job, UUID.randomUUID().toString(),
        Deadline.inMillis(JOB_DEADLINE_MS));
    Future<Boolean> done;
    try {
      done = run(run);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(acked -> {
      if (acked.failed()) {
        // A bug of this class, not of the store: keep it for the assertions, and go on.
        oddFailures.add("the cycle itself failed: " + acked.cause());
        count(failures, "cycle:" + acked.cause().getClass().getSimpleName());
      }
      if (acked.succeeded() && acked.result()) {
        store.vertx.runOnContext(next -> loop(chat, job + 1));
      } else {
        // Not acknowledged: the same job again, after a timer (a loop re-queued at once could starve the
        // event loop while calls fail fast, see VERTX-NOTES.md).
        store.vertx.setTimer(5, next -> loop(chat, job));
      }
    });
  }

  /** One run of a job: its chat, id, lock token and deadline. */
  private record Run(String chatId, String jobId, String token, Deadline deadline) {}

  /** Start, then commit; true when the job was acknowledged. */
  private Future<Boolean> run(Run run) {
    return store.jobs.start(new StartRequest(run.chatId(), run.jobId(), run.token(), "node-a", LEASE_MS,
            "question of " + run.jobId(), Instant.now().toString(), StartRequest.FROM_MEMORY), run.deadline())
        .transform(started -> {
          if (started.failed()) {
            // The script may have run and taken the lock: the pipeline ends the run with finish.
            return failed("start", started.cause(), run);
          }
          StartOutcome outcome = started.result();
          return switch (outcome.status()) {
            case STARTED -> commit(run);
            case ALREADY_SUCCEEDED -> Future.succeededFuture(acknowledge(run, outcome.storedResult(), "start"));
            // Nothing taken: the pipeline answers the client and writes nothing (mayHoldLock false).
            default -> {
              count(outcomes, "start:" + outcome.status());
              earlierRuns.get(run.chatId()).add("start:" + outcome.status());
              yield Future.succeededFuture(false);
            }
          };
        });
  }

  private Future<Boolean> commit(Run run) {
    return store.jobs.commit(StoreHarness.commit(run.chatId(), run.jobId(), run.token(), "answer to " + run.jobId()),
        run.deadline()).transform(committed -> {
          if (committed.failed()) {
            return failed("commit", committed.cause(), run);
          }
          CommitOutcome outcome = committed.result();
          if (outcome.status() == CommitOutcome.Status.LOCK_LOST) {
            count(outcomes, "commit:LOCK_LOST");
            earlierRuns.get(run.chatId()).add("commit:LOCK_LOST");
            return cleanUp(run).map(false);
          }
          return Future.succeededFuture(acknowledge(run, outcome.reply(),
              outcome.status() == CommitOutcome.Status.COMMITTED ? "commit" : "commit-already"));
        });
  }

  private Future<Boolean> failed(String step, Throwable cause, Run run) {
    countFailure(step, cause);
    failedPerChat.get(run.chatId()).increment();
    String message = String.valueOf(cause.getMessage());
    earlierRuns.get(run.chatId()).add(step + ": " + message.substring(0, Math.min(120, message.length())));
    return cleanUp(run).map(false);
  }

  /** What {@code GenerationJob.cleanUp} does after a failure: finish(failed); a failed finish leaves the lease. */
  private Future<Void> cleanUp(Run run) {
    return store.jobs.finish(run.chatId(), run.jobId(), run.token(), "failed",
            new JsonObject().put("code", "STORE_UNAVAILABLE").put("message", "test"),
            Deadline.inMillis(CLEANUP_DEADLINE_MS))
        .transform(finished -> {
          if (finished.failed()) {
            countFailure("finish", finished.cause());
            failedPerChat.get(run.chatId()).increment();
            leftToLease.add(run.token());
          } else {
            cleanUps.increment();
          }
          return Future.succeededFuture();
        });
  }

  private boolean acknowledge(Run run, JsonObject reply, String via) {
    String messageId = reply.getJsonObject("message").getString("id");
    List<String> earlier = earlierRuns.put(run.chatId(), new ArrayList<>());
    acknowledged.put(run.jobId(), new Ack(run.chatId(), run.jobId(), messageId, via, earlier,
        (System.nanoTime() - startedNanos) / 1_000_000));
    ackedPerChat.get(run.chatId()).increment();
    long now = System.nanoTime();
    long last = lastAckNanos.getAndSet(now);
    longestAckGapNanos.accumulateAndGet(now - last, Math::max);
    return true;
  }

  private void countFailure(String step, Throwable cause) {
    String key = step + ":"
        + (cause instanceof StoreFailure failure ? failure.kind() : cause.getClass().getSimpleName());
    Set<String> samples = failureSamples.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
    String message = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
    // ids and ports make every message distinct: keep the first 80 characters
    if (samples.size() < 4) {
      samples.add(message.substring(0, Math.min(80, message.length())));
    }
    if (cause instanceof StoreFailure failure) {
      count(failures, step + ":" + failure.kind());
      if (failure.kind() == StoreFailure.Kind.REFUSED && oddFailures.size() < 20) {
        oddFailures.add(step + ": " + failure.getMessage());
      }
    } else {
      count(failures, step + ":" + cause.getClass().getSimpleName());
      if (oddFailures.size() < 20) {
        oddFailures.add(step + ": " + cause);
      }
    }
  }

  private static void count(Map<String, LongAdder> counts, String key) {
    counts.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  /** Notes that {@code event} (e.g. "failover" or "failed-over") happens now, for the report. */
  void mark(String event) {
    events.put(event, (System.nanoTime() - startedNanos) / 1_000_000);
  }

  /** Waits until {@code more} jobs on {@code chatIds} were acknowledged after this call. */
  void awaitAcknowledged(Collection<String> chatIds, long more, String what) {
    long before = acknowledged(chatIds);
    try {
      Await.until(() -> acknowledged(chatIds) >= before + more, WAIT, more + " jobs acknowledged " + what);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (" + (acknowledged(chatIds) - before) + " were); so far: "
          + report("so-far").encode(), e);
    }
  }

  /** {@link #awaitAcknowledged(Collection, long, String)} over every chat. */
  void awaitAcknowledged(long more, String what) {
    awaitAcknowledged(chats, more, what);
  }

  long acknowledged(Collection<String> chatIds) {
    return chatIds.stream().mapToLong(chat -> ackedPerChat.get(chat).sum()).sum();
  }

  /** Failed store calls (start, commit and finish) on {@code chatIds} so far. */
  long failed(Collection<String> chatIds) {
    return chatIds.stream().mapToLong(chat -> failedPerChat.get(chat).sum()).sum();
  }

  /** Lets every loop end its current job (clean-up included), then stop; waits for all of them. */
  void stop() {
    stopping.set(true);
    await(allStopped.future(), WAIT);
  }

  List<String> chats() {
    return chats;
  }

  /** Failure counts of the store calls ({@code step:kind}), sorted. */
  Map<String, Long> failures() {
    return sorted(failures);
  }

  /** The kinds among {@link #failures()}, whatever the step. */
  Set<String> failureKinds() {
    return failures.keySet().stream().map(key -> key.substring(key.indexOf(':') + 1)).collect(Collectors.toSet());
  }

  /**
   * The JSON line a test prints: acknowledged jobs (by the answer that told the client), failures and
   * other outcomes by step, clean-ups, locks left to the lease and the longest time without an
   * acknowledgement (what the fault cost).
   */
  JsonObject report(String test) {
    return new JsonObject()
        .put("test", test)
        .put("redis", redisVersion())
        .put("chats", chats.size())
        .put("acknowledged", acknowledged.size())
        .put("acknowledgedVia", acknowledgedVia())
        .put("failures", new JsonObject(new TreeMap<String, Object>(failures())))
        .put("outcomes", new JsonObject(new TreeMap<String, Object>(sorted(outcomes))))
        .put("failureSamples", new JsonObject(new TreeMap<String, Object>(failureSamples.entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> List.copyOf(e.getValue()))))))
        .put("cleanUps", cleanUps.sum())
        .put("cleanUpsLeftToLease", leftToLease.size())
        .put("longestAckGapMs", longestAckGapNanos.get() / 1_000_000)
        .put("eventsAtMs", new JsonObject(new TreeMap<String, Object>(events)))
        .put("runMs", (System.nanoTime() - startedNanos) / 1_000_000)
        .put("layer", layer());
  }

  /** Acknowledged jobs by the answer that told the client: commit, commit-already or start. */
  private JsonObject acknowledgedVia() {
    return new JsonObject(new TreeMap<String, Object>(acknowledged.values().stream()
        .collect(Collectors.groupingBy(Ack::via, Collectors.counting()))));
  }

  /** What the Redis layer saw: its failures and breaker changes (those that happened), failovers, redirects, WAITs. */
  private JsonObject layer() {
    RedisHealth health = store.redis.health();
    RedisTopology topology = store.redis.topology();
    return new JsonObject()
        .put("failures", nonZero(health.failures()))
        .put("breakerChanges", nonZero(health.breakerChanges()))
        .put("failovers", topology.failovers())
        .put("slotMapChanges", topology.slotMapChanges())
        .put("redirects", topology.redirects())
        .put("waits", topology.waits())
        .put("waitShortfalls", topology.waitShortfalls());
  }

  private static JsonObject nonZero(Map<String, Long> counts) {
    Map<String, Object> happened = new TreeMap<>();
    counts.forEach((key, count) -> {
      if (count > 0) {
        happened.put(key, count);
      }
    });
    return new JsonObject(happened);
  }

  private static String redisVersion() {
    String line = RedisServer.binaryDescription();
    int at = line.indexOf("v=");
    return at < 0 ? line : line.substring(at + 2, line.indexOf(' ', at));
  }

  private static Map<String, Long> sorted(Map<String, LongAdder> counts) {
    Map<String, Long> sorted = new TreeMap<>();
    counts.forEach((key, count) -> sorted.put(key, count.sum()));
    return sorted;
  }

  /**
   * SCRIPT EXISTS of the job scripts on {@code node}: "1" or "0" each. Redis does not replicate its
   * script cache, so a replica has none of them until it is promoted and runs one by EVAL.
   */
  static List<String> jobScriptsCached(RedisServer node) {
    List<String> command = new ArrayList<>(List.of("SCRIPT", "EXISTS"));
    JOB_SCRIPTS.forEach(script -> command.add(script.sha1()));
    return node.command(command.toArray(String[]::new)).lines().toList();
  }

  /**
   * Verifies what every topology test requires once the loops stopped, reading each chat from
   * {@code masterOf(chatId)} (the server that serves it now):
   * <ul>
   *   <li>failures are only UNAVAILABLE or TIMEOUT: nothing REFUSED (no CROSSSLOT, READONLY or
   *       NOSCRIPT leaking) and nothing but a {@link StoreFailure};</li>
   *   <li>every acknowledged job has its assistant message (the one its reply named) and its
   *       succeeded record holding that reply, and no job has two assistant messages;</li>
   *   <li>no chat lock is left, but those of runs whose finish failed, and those expire by the lease;</li>
   *   <li>{@link JobLookup} finds every acknowledged job by its bare id, on its chat, succeeded.</li>
   * </ul>
   */
  void assertConsistent(Function<String, RedisServer> masterOf) {
    // Soft: a failed check does not hide what the others found.
    SoftAssertions.assertSoftly(softly -> {
      softly.assertThat(oddFailures).as("REFUSED or unexpected failures").isEmpty();
      softly.assertThat(failureKinds()).as("failure kinds").isSubsetOf("UNAVAILABLE", "TIMEOUT");
      softly.assertThat(outcomes.keySet()).as("start outcomes that cannot be (the chats exist, tokens are fresh)")
          .doesNotContain("start:NOT_FOUND", "start:ENDED");
      List<String> missing = missingAcknowledged(masterOf);
      softly.assertThat(missing).as("acknowledged jobs missing or wrong afterwards: %d problems of %d acknowledged"
          + " (%s)", missing.size(), acknowledged.size(), acknowledgedVia()).isEmpty();
      softly.check(() -> assertLocksFreed(masterOf));
      softly.assertThat(lookupProblems()).as("acknowledged jobs that JobLookup does not find as stored").isEmpty();
    });
  }

  /** What is wrong with each acknowledged job as its chat's server holds it now (empty: nothing). */
  List<String> missingAcknowledged(Function<String, RedisServer> masterOf) {
    List<String> problems = new ArrayList<>();
    Map<String, List<Ack>> byChat = acknowledged.values().stream().collect(Collectors.groupingBy(Ack::chatId));
    for (String chatId : chats) {
      RedisServer server = masterOf.apply(chatId);
      Map<String, List<String>> repliesByJob = new HashMap<>();
      for (String line : server.command("LRANGE", Keys.messages(chatId), "0", "-1").lines().toList()) {
        JsonObject message = new JsonObject(line);
        if ("assistant".equals(message.getString("role"))) {
          repliesByJob.computeIfAbsent(message.getString("jobId"), job -> new ArrayList<>())
              .add(message.getString("id"));
        }
      }
      repliesByJob.forEach((jobId, ids) -> {
        if (ids.size() > 1) {
          problems.add(jobId + " has " + ids.size() + " assistant messages on port " + server.port());
        }
      });
      for (Ack ack : byChat.getOrDefault(chatId, List.of())) {
        List<String> replies = repliesByJob.getOrDefault(ack.jobId(), List.of());
        if (!replies.contains(ack.messageId())) {
          problems.add(ack + ": its assistant message is not on port " + server.port() + " (found " + replies + ")");
        }
        String value = server.command("HGET", Keys.jobs(chatId), ack.jobId());
        JobRecord record = value == null ? null : JobRecord.parse(value);
        if (record == null || !record.status().equals("succeeded")) {
          problems.add(ack + ": its record on port " + server.port() + " is " + record);
        } else if (!ack.messageId().equals(new JsonObject(record.payload()).getJsonObject("message").getString("id"))) {
          problems.add(ack + ": its record holds another reply: " + record.payload());
        }
      }
    }
    return problems;
  }

  /**
   * No chat lock is left but those of runs whose clean-up failed (the pipeline leaves them to the
   * lease), and those are gone within a lease.
   */
  private void assertLocksFreed(Function<String, RedisServer> masterOf) {
    Map<String, String> left = locksHeld(masterOf);
    assertThat(left.values()).as("locks held once every job ended, not of a run whose clean-up failed "
        + "(chat -> token: " + left + ")").isSubsetOf(leftToLease);
    Await.until(() -> locksHeld(masterOf).isEmpty(), Duration.ofMillis(LEASE_MS + 10_000),
        "the locks left to their lease to expire: " + left);
  }

  private Map<String, String> locksHeld(Function<String, RedisServer> masterOf) {
    Map<String, String> held = new TreeMap<>();
    for (String chatId : chats) {
      String holder = masterOf.apply(chatId).command("GET", Keys.lock(chatId));
      if (holder != null) {
        held.put(chatId, holder);
      }
    }
    return held;
  }

  /**
   * Looks up every acknowledged job by its bare id through {@link JobLookup}, 32 at a time (a lookup
   * pipelines about a dozen reads, and the layer's in-flight bound is the tests' 2 × 512); what does
   * not match.
   */
  List<String> lookupProblems() {
    List<String> problems = new ArrayList<>();
    List<Ack> acks = new ArrayList<>(acknowledged.values());
    for (int from = 0; from < acks.size(); from += 32) {
      List<Ack> slice = acks.subList(from, Math.min(acks.size(), from + 32));
      List<Future<JsonObject>> found = slice.stream()
          .map(ack -> store.lookup.get(ack.jobId(), StoreHarness.deadline())).toList();
      await(Future.join(new ArrayList<>(found)).transform(done -> Future.succeededFuture()));
      for (int i = 0; i < slice.size(); i++) {
        Ack ack = slice.get(i);
        Future<JsonObject> lookup = found.get(i);
        JsonObject job = lookup.succeeded() ? lookup.result() : null;
        if (lookup.failed()) {
          problems.add(ack + ": the lookup failed: " + lookup.cause());
        } else if (job == null || !ack.chatId().equals(job.getString("chatId"))
            || !"succeeded".equals(job.getString("status"))
            || !ack.messageId().equals(job.getJsonObject("result").getJsonObject("message").getString("id"))) {
          problems.add(ack + ": the lookup found " + job);
        }
      }
    }
    return problems;
  }
}
