package chatworker.generation;

import chatworker.api.ApiException;
import chatworker.api.ErrorCode;
import chatworker.api.GenerateRequest;
import chatworker.model.ModelCall;
import chatworker.model.ModelProvider;
import chatworker.model.ModelReply;
import chatworker.model.ModelRequest;
import chatworker.time.Deadline;
import chatworker.store.CommitOutcome;
import chatworker.store.CommitRequest;
import chatworker.store.JobStore;
import chatworker.store.StartOutcome;
import chatworker.store.StartRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation job, start to end, on the context that received it: start (idempotency, chat lock,
 * user message, history — one Redis round trip), model, fenced commit (one round trip). Every way
 * out — success, model error, Redis error, deadline, cancel, shutdown — ends the outcome once, and
 * every way out after the lock was taken releases it (or the lease does, if Redis is gone).
 *
 * <p>The reply comes by the job's deadline ({@code timeoutMs}) whatever happens: the work stops a
 * little earlier (the clean-up reserve), so that a failure's clean-up normally lands before the
 * reply and the client finds the chat free; a clean-up that Redis does not take in time goes on
 * after the reply instead of holding it back.
 */
final class GenerationJob {

  private static final Logger log = LoggerFactory.getLogger(GenerationJob.class);
  /** Deadline of the clean-up write after a failure; the job's own deadline may have passed. */
  private static final long CLEANUP_DEADLINE_MS = 2_000;
  /** The most of a job's time kept for its clean-up: a tenth, at least 50 ms, at most half, never above this. */
  private static final long CLEANUP_RESERVE_MAX_MS = 250;

  private final Vertx vertx;
  private final Context context;
  private final JobStore jobs;
  private final Map<String, ModelProvider> providers;
  private final GenerationSettings settings;
  private final String nodeId;
  private final GenerateRequest request;
  private final Predicate<String> hasLeftCluster;
  private final String lockToken = UUID.randomUUID().toString();
  private final Promise<JsonObject> outcome = Promise.promise();
  private final long startedNanos = System.nanoTime();
  /** The reply is sent by then. */
  private final Deadline replyBy;
  /** The work (Redis calls, the model) stops by then: {@link #replyBy} less the clean-up reserve. */
  private final Deadline deadline;
  private final long timeoutMs;
  private final long renewEveryMs;

  /** Whether this run may hold the chat lock: from sending the start until the commit released it. */
  private boolean mayHoldLock;
  private ModelCall modelCall;
  /** One timer per job, for the deadline and the lock's renewals (a job usually ends before it fires). */
  private long timer = -1;
  /** Set once the job holds the lock and runs the model: from then on the timer renews the lease. */
  private boolean renewing;
  /**
   * Set when the commit is sent: a renewal that then finds the lock gone may have met the commit's own
   * release (the commit's reply can come after, on another connection), so only the commit decides.
   */
  private boolean committing;
  private long streamSeq;
  /** Written when the last chunk so far was handed to the event bus; the reply waits for it. */
  private Future<Void> lastChunk = Future.succeededFuture();

  GenerationJob(Vertx vertx, JobStore jobs, Map<String, ModelProvider> providers, GenerationSettings settings,
      String nodeId, GenerateRequest request, Predicate<String> hasLeftCluster) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.jobs = jobs;
    this.providers = providers;
    this.settings = settings;
    this.nodeId = nodeId;
    this.request = request;
    this.hasLeftCluster = hasLeftCluster;
    this.timeoutMs = request.timeoutMs() != null ? request.timeoutMs() : settings.defaultTimeoutMs();
    this.replyBy = Deadline.inMillis(timeoutMs);
    long reserve = Math.min(CLEANUP_RESERVE_MAX_MS, Math.min(timeoutMs / 2, Math.max(timeoutMs / 10, 50)));
    this.deadline = Deadline.inMillis(timeoutMs - reserve);
    this.renewEveryMs = Math.max(1, settings.lockLeaseMs() / 3);
  }

  String jobId() {
    return request.jobId();
  }

  /** Runs the job; the future completes with the contract's reply or fails with an ApiException. */
  Future<JsonObject> run() {
    // A start that failed on the way back may still have taken the lock: clean-up asks (fenced by token).
    armTimer();
    start(new StartRequest(request.chatId(), request.jobId(), lockToken, nodeId, settings.lockLeaseMs(),
        request.text(), Instant.now().toString(), StartRequest.FROM_MEMORY));
    // The reply waits for the clean-up, so a client that got a failure finds the chat free at once,
    // but never past the deadline.
    return outcome.future().eventually(() -> byReplyDeadline(cleanUp(outcome.future().cause())));
  }

  private void start(StartRequest start) {
    mayHoldLock = true;
    jobs.start(start, deadline).onComplete(started -> {
      if (started.failed()) {
        end(started.cause());
      } else {
        onStarted(start, started.result());
      }
    });
  }

  /** Fires at the deadline, or at the next renewal of the lock if that comes first. */
  private void armTimer() {
    long untilDeadline = Math.max(1, deadline.remainingMillis());
    timer = vertx.setTimer(Math.min(untilDeadline, renewEveryMs), t -> {
      if (deadline.expired()) {
        abort(new ApiException(ErrorCode.TIMEOUT, "the job did not finish within its deadline of " + timeoutMs + " ms"));
        return;
      }
      if (renewing) {
        renewLock();
      }
      armTimer();
    });
  }

  /** Stops the job with {@code reason} (cancel, deadline, shutdown); a no-op once it has ended. */
  void abort(ApiException reason) {
    context.runOnContext(v -> {
      if (outcome.tryFail(reason) && modelCall != null) {
        modelCall.cancel();
      }
    });
  }

  private void onStarted(StartRequest start, StartOutcome started) {
    mayHoldLock = started.status() == StartOutcome.Status.STARTED;
    if (outcome.future().isComplete()) {
      return; // aborted while starting: clean-up releases what the start took
    }
    switch (started.status()) {
      case ENDED -> end(new ApiException(ErrorCode.INTERNAL, "job '" + request.jobId() + "' ended before it started"));
      case NOT_FOUND -> end(ApiException.notFound("chat", request.chatId()));
      case ALREADY_SUCCEEDED -> outcome.tryComplete(started.storedResult());
      case RUNNING -> {
        String runner = started.runningOn();
        if (start.takeOverFrom() == null && runner != null && hasLeftCluster.test(runner)) {
          start(start.takingOverFrom(runner)); // its node is gone: this resend runs the job now
        } else {
          end(ApiException.jobInProgress(request.jobId()));
        }
      }
      case LOCKED -> end(new ApiException(ErrorCode.CHAT_LOCKED,
          "another generation holds chat '" + request.chatId() + "'"));
      case STARTED -> generate(started);
    }
  }

  private void generate(StartOutcome started) {
    JsonObject assistant = started.assistant();
    JsonObject model = assistant.getJsonObject("model", new JsonObject());
    ModelProvider provider = providers.get(model.getString("provider", "builtin"));
    if (provider == null) {
      end(new ApiException(ErrorCode.MODEL_ERROR,
          "model provider '" + model.getString("provider") + "' is not configured on this node"));
      return;
    }
    renewing = true;
    modelCall = provider.generate(new ModelRequest(model.getString("name"), model.getJsonObject("options"),
        Conversation.turns(assistant, request.systemPromptVariables(), started.history())), this::stream);
    modelCall.result().onComplete(reply -> {
      if (reply.failed()) {
        end(reply.cause());
      } else if (!outcome.future().isComplete()) {
        commit(reply.result());
      }
    });
  }

  private void stream(String delta) {
    if (request.stream() && !outcome.future().isComplete()) {
      JsonObject chunk = new JsonObject().put("jobId", request.jobId()).put("seq", streamSeq++).put("delta", delta);
      // One chunk at a time, each written once the one before it is on the connection (sender().write,
      // unlike send, says when). Written at once, the first chunk waits for a cluster lookup of the
      // stream address and is sent from the thread that lookup ends on, while the next ones, sent once
      // the address is known, can overtake it: in a rolling restart a client got a reply's first words
      // after the rest. A chunk that cannot be written (the client is gone) does not stop the others.
      lastChunk = lastChunk.transform(previous ->
          vertx.eventBus().<JsonObject>sender(request.streamAddress()).write(chunk));
    }
  }

  private void renewLock() {
    jobs.lock().renew(request.chatId(), lockToken, settings.lockLeaseMs(), Deadline.inMillis(renewEveryMs))
        .onSuccess(stillOurs -> {
          if (!stillOurs && !committing) {
            abort(lockLost());
          }
        });
    // A failed renewal is not fatal by itself: the lease outlives two more tries, and the commit is fenced.
  }

  private void commit(ModelReply reply) {
    JsonObject replyWithoutMessage = new JsonObject()
        .put("jobId", request.jobId())
        .put("chatId", request.chatId())
        .put("usage", new JsonObject().put("promptTokens", reply.promptTokens())
            .put("completionTokens", reply.completionTokens()))
        .put("node", nodeId)
        .put("durationMs", (System.nanoTime() - startedNanos) / 1_000_000);
    committing = true;
    // Chunks first: once the last one is on the connection to the client, the reply queues behind it.
    lastChunk.transform(written -> Future.<Void>succeededFuture())
        .compose(v -> jobs.commit(new CommitRequest(request.chatId(), request.jobId(), lockToken,
            UUID.randomUUID().toString(), reply.text(), reply.textTokens(), Instant.now().toString(),
            nodeId, replyWithoutMessage), deadline))
        .onComplete(committed -> {
          if (committed.failed()) {
            end(committed.cause());
            return;
          }
          CommitOutcome result = committed.result();
          if (result.status() == CommitOutcome.Status.LOCK_LOST) {
            end(lockLost());
          } else {
            mayHoldLock = false; // the commit released it
            outcome.tryComplete(result.reply());
          }
        });
  }

  private ApiException lockLost() {
    return new ApiException(ErrorCode.CHAT_LOCKED, "the chat lock of job '" + request.jobId()
        + "' expired before its reply was stored; nothing was stored, the job may be sent again");
  }

  private void end(Throwable failure) {
    outcome.tryFail(ApiFailures.toApi(failure));
  }

  /**
   * After the outcome: stop timers and the model; on failure, record it and release the lock. Never
   * fails: when Redis cannot take the clean-up write, the lock is left to its lease.
   */
  private Future<Void> cleanUp(Throwable failure) {
    vertx.cancelTimer(timer);
    renewing = false;
    if (failure == null || !mayHoldLock) {
      return Future.succeededFuture();
    }
    ApiException api = ApiFailures.toApi(failure);
    String status = api.code() == ErrorCode.CANCELLED ? "cancelled" : "failed";
    return jobs.finish(request.chatId(), request.jobId(), lockToken, status, api.toJson(),
            Deadline.inMillis(CLEANUP_DEADLINE_MS))
        .recover(err -> {
          log.warn("Job {} ended with {} but its record could not be written ({}); "
              + "the chat lock expires with its lease", request.jobId(), api.code(), err.getMessage());
          return Future.succeededFuture();
        });
  }

  /** {@code cleanUp} or the reply deadline, whichever comes first; the clean-up goes on regardless. */
  private Future<Void> byReplyDeadline(Future<Void> cleanUp) {
    if (cleanUp.isComplete()) {
      return cleanUp;
    }
    Promise<Void> replyNow = Promise.promise();
    long replyTimer = vertx.setTimer(Math.max(1, replyBy.remainingMillis()), t -> replyNow.tryComplete());
    cleanUp.onComplete(done -> {
      vertx.cancelTimer(replyTimer);
      replyNow.tryComplete();
    });
    return replyNow.future();
  }
}
