package chatworker.generation;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.api.GenerateRequest;
import chatworker.model.ModelProvider;
import chatworker.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs generation jobs on this node: bounds how many run at once, knows them by jobId for cancel and
 * drain (one entry per jobId, which a resend of the same jobId never replaces), counts outcomes, and
 * drains at shutdown. Shared by the node's GenerationVerticle instances.
 */
public final class GenerationPipeline {

  private final Vertx vertx;
  private final JobStore jobs;
  private final Map<String, ModelProvider> providers;
  private final GenerationSettings settings;
  private final String nodeId;
  private final Map<String, GenerationJob> running = new ConcurrentHashMap<>();
  private final JobCounters counters = new JobCounters();
  /** Nodes that left the cluster while this one ran: their runs of a resent job are taken over. */
  private final Set<String> departed = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  public GenerationPipeline(Vertx vertx, JobStore jobs, Map<String, ModelProvider> providers,
      GenerationSettings settings, String nodeId) {
    this.vertx = vertx;
    this.jobs = jobs;
    this.providers = Map.copyOf(providers);
    this.settings = settings;
    this.nodeId = nodeId;
  }

  /**
   * A member left the cluster (any thread). A resend of a job it was running finds the job's lock
   * still held until the lease ends; once the node is known gone, the resend takes the run over at
   * once (its commit could no longer succeed: its token lost the lock).
   */
  public void memberLeft(String departedNode) {
    departed.add(departedNode);
  }

  /** Runs one job; fails with OVERLOADED at the in-flight limit instead of queueing. */
  public Future<JsonObject> run(GenerateRequest request) {
    if (draining) {
      return Future.failedFuture(new ApiException(ErrorCode.OVERLOADED, "this node is shutting down"));
    }
    long started = System.nanoTime();
    if (running.containsKey(request.jobId())) {
      return inProgressHere(request.jobId(), started); // a resend: the job it names stays the one we run
    }
    if (counters.inFlight.incrementAndGet() > settings.maxInFlight()) {
      counters.inFlight.decrementAndGet();
      counters.failed(ErrorCode.OVERLOADED, System.nanoTime() - started);
      return Future.failedFuture(new ApiException(ErrorCode.OVERLOADED,
          "this node runs " + settings.maxInFlight() + " jobs already"));
    }
    GenerationJob job = new GenerationJob(vertx, jobs, providers, settings, nodeId, request, departed::contains);
    if (running.putIfAbsent(request.jobId(), job) != null) {
      counters.inFlight.decrementAndGet(); // the same jobId arrived twice at once on two event loops
      return inProgressHere(request.jobId(), started);
    }
    return job.run().andThen(done -> {
      running.remove(request.jobId(), job);
      counters.inFlight.decrementAndGet();
      long duration = System.nanoTime() - started;
      if (done.succeeded()) {
        counters.succeeded(duration);
      } else {
        counters.failed(ApiFailures.toApi(done.cause()).code(), duration);
      }
    });
  }

  /**
   * A request whose jobId runs on this node already: 409 without a Redis round trip, and without
   * touching the running job, which stays reachable by cancel and by the drain until it ends.
   */
  private Future<JsonObject> inProgressHere(String jobId, long started) {
    counters.failed(ErrorCode.JOB_IN_PROGRESS, System.nanoTime() - started);
    return Future.failedFuture(ApiException.jobInProgress(jobId));
  }

  /** Cancels the job if it runs here; true when it did. */
  public boolean cancel(String jobId) {
    GenerationJob job = running.get(jobId);
    if (job == null) {
      return false;
    }
    job.abort(new ApiException(ErrorCode.CANCELLED, "job '" + jobId + "' was cancelled"));
    return true;
  }

  public JobCounters counters() {
    return counters;
  }

  /**
   * Stops taking jobs, lets the running ones finish for up to the drain timeout, then cancels the
   * rest; completes when none runs any more (their locks released, or left to their leases when
   * Redis cannot be reached).
   */
  public Future<Void> drain() {
    draining = true;
    Promise<Void> drained = Promise.promise();
    long giveUpAt = System.nanoTime() + settings.drainTimeoutMs() * 1_000_000;
    awaitIdle(giveUpAt, false, drained);
    return drained.future();
  }

  private void awaitIdle(long giveUpAt, boolean cancelled, Promise<Void> drained) {
    if (counters.inFlight() == 0) {
      drained.complete();
      return;
    }
    boolean cancelNow = !cancelled && System.nanoTime() - giveUpAt > 0;
    if (cancelNow) {
      running.values().forEach(job -> job.abort(new ApiException(ErrorCode.CANCELLED,
          "job '" + job.jobId() + "' was cancelled: the node is shutting down")));
    }
    if (cancelled && System.nanoTime() - giveUpAt > 5_000_000_000L) {
      drained.complete(); // clean-up writes are bounded too; do not hold the shutdown for ever
      return;
    }
    vertx.setTimer(10, t -> awaitIdle(giveUpAt, cancelled || cancelNow, drained));
  }
}
