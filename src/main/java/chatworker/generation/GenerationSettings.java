package chatworker.generation;

import io.vertx.core.json.JsonObject;

/**
 * How a node runs generation jobs (the {@code generation} section of the configuration).
 *
 * @param instances        GenerationVerticle instances per node
 * @param maxInFlight      jobs a node runs at once; more are refused with OVERLOADED
 * @param lockLeaseMs      chat lock lease, renewed every third of it while the job runs
 * @param defaultTimeoutMs deadline of a job that brings no {@code timeoutMs}
 * @param drainTimeoutMs   at shutdown, how long running jobs may finish before they are cancelled
 * @param jobTtlSeconds    how long job records (and so idempotency by jobId) are kept
 */
public record GenerationSettings(int instances, int maxInFlight, long lockLeaseMs, long defaultTimeoutMs,
    long drainTimeoutMs, long jobTtlSeconds) {

  public static GenerationSettings fromJson(JsonObject generation, JsonObject shutdown) {
    return new GenerationSettings(
        generation.getInteger("instances", 2),
        generation.getInteger("maxInFlight", 448),
        generation.getLong("lockLeaseMs", 15_000L),
        generation.getLong("defaultTimeoutMs", 30_000L),
        shutdown.getLong("drainTimeoutMs", 10_000L),
        generation.getLong("jobTtlSeconds", 86_400L));
  }
}
