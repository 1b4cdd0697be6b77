package chatworker.redis;

import chatworker.redis.RedisFailure.Kind;
import chatworker.redis.SlotChooser.Use;
import chatworker.time.Deadline;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The one way to Redis: a small fixed set of held, pipelined connections with a bound on in-flight
 * commands, a deadline on every call, retries of what may be repeated, one circuit breaker, PING health
 * checks and reconnects with backoff. Thread-safe; a call's future completes on the caller's context.
 *
 * <p>Replies are matched to requests in order on each connection and every command's reply is read
 * whole even when its caller has given up, so a late reply can only ever reach the caller that asked.
 *
 * <p>This class wires the parts, each of which owns one concern (docs/REDIS.md): {@link ClientOptions}
 * (the client's options), {@link ConnectionSlot} (one held connection: connect, reconnect, watchdog),
 * {@link SlotChooser} (which connection, the in-flight bound), {@link CommandAttempt} (one try on one
 * connection), {@link RetryLoop} (what is retried, when), {@link BreakerGate} (the circuit breaker),
 * {@link HealthChecks} (PINGs, reconnects, refused credentials), {@link Shutdown} (drain and close),
 * {@link ReplicaAcks} (durable writes) and {@link TopologyWatch} (the deployment: masters, replicas,
 * failovers). The mode (standalone, sentinel, cluster) is the client's business ({@link ClientOptions});
 * what the layer adds for failovers is in docs/REDIS.md, "Sentinel and Cluster".
 */
public final class ResilientRedis {

  private final Vertx vertx;
  private final RedisSettings settings;
  private final FailureCounts failures = new FailureCounts();
  private final BreakerGate gate;
  private final HealthChecks health;
  private final SlotChooser chooser;
  private final RetryLoop retries;
  private final Shutdown shutdown;
  private final ReplicaAcks acks;
  private final LongAdder redirects = new LongAdder();
  private final TopologyWatch topology;
  private final AtomicBoolean started = new AtomicBoolean();

  private ResilientRedis(Vertx vertx, RedisSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    Context context = vertx.getOrCreateContext();
    Redis client = Redis.createClient(vertx, ClientOptions.of(settings));
    this.gate = new BreakerGate(vertx, settings, failures);
    this.acks = new ReplicaAcks(settings);
    CommandAttempt attempt = new CommandAttempt(vertx, settings);
    this.health = new HealthChecks(vertx, context, settings, gate, attempt);
    List<ConnectionSlot> slots = new ArrayList<>();
    for (int i = 0; i < settings.connections(); i++) {
      // Each connection on an event loop of its own (round robin over the loops): a job running on
      // that loop sends and hears back without handing over to another thread (see SlotChooser).
      Context slotContext = ((VertxInternal) vertx).createEventLoopContext();
      slots.add(new ConnectionSlot(i, vertx, slotContext, client, settings, health,
          settings.mode() == RedisMode.CLUSTER ? new RedirectCounter(redirects) : null, this::reachesMaster));
    }
    this.chooser = new SlotChooser(slots, settings, health::authRejected);
    this.shutdown = new Shutdown(vertx, context, settings, client, chooser, health, gate);
    this.retries = new RetryLoop(vertx, settings, chooser, attempt, gate, shutdown);
    this.topology = new TopologyWatch(vertx, settings,
        request -> send(request, true, Deadline.inMillis(settings.defaultDeadlineMs())), redirects, acks,
        master -> chooser.slots().forEach(slot -> slot.dropIfWrongServer("the sentinels named " + master + " master")));
  }

  /**
   * Sentinel mode: whether {@code conn} reaches the master the sentinels name. The old master takes
   * writes until it is demoted, seconds after the switch: a connection to it must not serve meanwhile.
   * Elsewhere, and while either address is unknown, true.
   */
  private boolean reachesMaster(RedisConnection conn) {
    String master = settings.mode() == RedisMode.SENTINEL ? topology.sentinelMaster() : null;
    String server = master == null ? null : ClientSockets.serverAddress(conn);
    return server == null || server.equals(master);
  }

  /** Creates the layer on the current context (or a new one); call {@link #start()} next. */
  public static ResilientRedis create(Vertx vertx, RedisSettings settings) {
    return new ResilientRedis(vertx, settings);
  }

  /**
   * Opens the connections and starts the health checks. Completes after the first connect attempts,
   * also when Redis is down: the layer keeps reconnecting by itself and calls fail fast meanwhile.
   */
  public Future<Void> start() {
    if (started.getAndSet(true)) {
      return Future.failedFuture(new IllegalStateException("the Redis layer was started already"));
    }
    List<Future<Void>> attempts = new ArrayList<>();
    for (ConnectionSlot slot : chooser.slots()) {
      attempts.add(slot.start());
    }
    health.start(chooser.slots());
    // The attempts end on the slots' own loops: complete on the caller's context, as every call does.
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    Promise<Void> started = context.promise();
    Future.join(attempts).onComplete(done -> {
      // Once connections are up: the watch's first read is the baseline that a failover is told from.
      context.runOnContext(v -> topology.start());
      started.complete();
    });
    return started.future();
  }

  public RedisSettings settings() {
    return settings;
  }

  /** Sends one command with the default deadline. */
  public Future<Response> send(Request request, boolean idempotent) {
    return send(request, idempotent, Deadline.inMillis(settings.defaultDeadlineMs()));
  }

  /**
   * Sends one command. It fails with a {@link RedisFailure}: a connection-level failure is retried
   * only when {@code idempotent} (or when the command was never written), with backoff, inside the
   * deadline.
   */
  public Future<Response> send(Request request, boolean idempotent, Deadline deadline) {
    return send(request, idempotent, deadline, Use.ORDINARY);
  }

  /**
   * Sends a command that frees what others wait for (a chat lock's release, a failed job's end): like
   * {@link #send}, but it may use the last places of the in-flight bound, which ordinary calls leave
   * free. Under a burst that fills the bound, the clean-up of the jobs that failed for it still gets
   * through instead of leaving their locks to the lease (and their chats locked meanwhile).
   */
  public Future<Response> sendCleanUp(Request request, boolean idempotent, Deadline deadline) {
    return send(request, idempotent, deadline, Use.CLEAN_UP);
  }

  /**
   * Sends a write whose success a client is told of (a job's commit, a created message, assistant or
   * chat): like {@link #send}, but with {@code redis.durability.replicas} ≥ 1 it succeeds only once
   * that many replicas hold the write, and fails as {@link Kind#NOT_REPLICATED} otherwise (see
   * {@link ReplicaAcks}). A retried write must write again (a no-op write is enough) for the WAIT
   * after it to cover what an earlier attempt wrote.
   */
  public Future<Response> sendDurable(Request request, boolean idempotent, Deadline deadline) {
    RedisFailure refused = RedisErrors.refuse(request);
    if (refused != null) {
      return fail(refused);
    }
    return call(acks.durable(request), acks.cost(), Use.DURABLE, idempotent, deadline);
  }

  private Future<Response> send(Request request, boolean idempotent, Deadline deadline, Use use) {
    RedisFailure refused = RedisErrors.refuse(request);
    if (refused != null) {
      return fail(refused);
    }
    return call(conn -> conn.send(request), 1, use, idempotent, deadline);
  }

  /**
   * Sends commands pipelined on one connection (not atomic: use a Lua script for that). One failed
   * command fails the whole batch.
   */
  public Future<List<Response>> batch(List<Request> requests, boolean idempotent, Deadline deadline) {
    for (Request request : requests) {
      RedisFailure refused = RedisErrors.refuse(request);
      if (refused != null) {
        return fail(refused);
      }
    }
    return call(conn -> conn.batch(requests), requests.size(), Use.ORDINARY, idempotent, deadline);
  }

  /** {@code use}: what the call is for, which decides the connections it may take and how full (SlotChooser). */
  private <T> Future<T> call(Function<RedisConnection, Future<T>> operation, int cost, Use use,
      boolean idempotent, Deadline deadline) {
    if (shutdown.closing()) {
      return fail(RedisFailure.of(Kind.CLOSED, "the Redis layer is closed"));
    }
    if (deadline.expired()) {
      // Never send what the caller no longer waits for: a late SET NX would take a lock for no one.
      return fail(RedisFailure.of(Kind.TIMEOUT, "the call's deadline had passed before it was sent"));
    }
    long reconnectGrace = retries.reconnectGraceFromNow();
    return gate.call(() -> retries.run(operation, cost, use, idempotent, deadline, reconnectGrace));
  }

  /** What a failure means to a caller of the layer (tests classify what they saw with it). */
  static RedisFailure classify(Throwable err) {
    return RedisErrors.classify(err);
  }

  private <T> Future<T> fail(RedisFailure failure) {
    return Future.failedFuture(failures.counted(failure));
  }

  /** The layer's state right now. */
  public RedisHealth health() {
    return new RedisHealth(gate.state().name(), chooser.connectionsUp(), chooser.slots().size(),
        chooser.inFlight(), chooser.maxInFlight(), health.pingMs(), health.reconnects(), health.authRejected(),
        failures.snapshot(), gate.changes());
  }

  /** What the layer last saw of the deployment: masters, replicas, failovers, redirects, WAITs. */
  public RedisTopology topology() {
    return topology.snapshot();
  }

  /**
   * Stops taking calls (they fail with {@link Kind#CLOSED}), lets commands in flight finish for up to
   * the command timeout, then closes every socket; what is still in flight then fails, and reaches
   * its caller as {@link Kind#CLOSED} too.
   */
  public Future<Void> close() {
    topology.stop();
    return shutdown.close();
  }
}
