package chatworker.model;

/** The provider failed or answered garbage (the contract's MODEL_ERROR). Carries no secret. */
public final class ModelException extends RuntimeException {

  public ModelException(String message) {
    super(message, null, false, false);
  }
}
