package chatworker.model;

import java.util.function.Consumer;

/**
 * A language model. Implementations never block the calling event loop; every delta is passed to
 * {@code onDelta} in order, on the caller's context, before the result completes.
 */
public interface ModelProvider {

  /** The provider's name in an assistant's {@code model.provider}. */
  String name();

  /** Starts generating a reply to {@code request}, streaming its pieces to {@code onDelta}. */
  ModelCall generate(ModelRequest request, Consumer<String> onDelta);
}
