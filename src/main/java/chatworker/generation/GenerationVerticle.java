package chatworker.generation;

import chatworker.api.Addresses;
import chatworker.api.ApiException;
import chatworker.api.GenerateRequest;
import chatworker.api.JobRequest;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;

/** Takes {@code chat.generate} jobs and hears {@code chat.generate.cancel}; the work is the pipeline's. */
public final class GenerationVerticle extends VerticleBase {

  private final GenerationPipeline pipeline;
  private MessageConsumer<Object> generate;
  private MessageConsumer<Object> cancel;

  public GenerationVerticle(GenerationPipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public Future<?> start() {
    generate = vertx.eventBus().consumer(Addresses.GENERATE, message -> {
      GenerateRequest request;
      try {
        request = GenerateRequest.parse(message.body());
      } catch (ApiException invalid) {
        invalid.failReply(message);
        return;
      }
      pipeline.run(request).onComplete(done -> {
        if (done.succeeded()) {
          message.reply(done.result());
        } else {
          ApiFailures.reply(message, done.cause());
        }
      });
    });
    cancel = vertx.eventBus().consumer(Addresses.GENERATE_CANCEL, message -> {
      try {
        pipeline.cancel(JobRequest.parse(message.body()).jobId());
      } catch (ApiException invalid) {
        // Published: there is no one to answer. The job (if any) runs on.
      }
    });
    return Future.all(generate.completion(), cancel.completion());
  }

  /**
   * Stops taking jobs, then waits for the node's running jobs to finish or be cancelled (bounded):
   * they run on these instances' contexts, whose timers end with the undeployment.
   */
  @Override
  public Future<?> stop() {
    return generate.unregister().compose(v -> pipeline.drain()).compose(v -> cancel.unregister());
  }
}
