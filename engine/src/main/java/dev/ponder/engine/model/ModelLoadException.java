package dev.ponder.engine.model;

/** ONNX Runtime could not load or run a model file. */
public final class ModelLoadException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
