package dev.ponder.engine.model;

/** An ONNX model's inputs or outputs do not match what Ponder expects of that kind of model. */
public final class ModelContractException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelContractException(String message) {
    super(message);
  }
}
