package chatworker.model;

import io.vertx.core.Future;

/** A generation under way: its outcome, and a way to stop it (closes the stream, frees resources). */
public interface ModelCall {

  /** Completes with the whole reply, or fails with a {@link ModelException} (or the cancellation). */
  Future<ModelReply> result();

  /** Stops the generation now; {@link #result()} fails if it had not completed. Idempotent. */
  void cancel();
}
