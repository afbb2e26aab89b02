package dev.ponder.engine.model;

/** The configured device could not be used and CPU fallback was not allowed. */
public final class DeviceUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
