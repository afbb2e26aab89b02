package dev.ponder.remote;

/**
 * A request to the remote engine failed for good (after the retries its {@link RetryPolicy} allows). The message
 * names the endpoint, what was expected and what was found.
 */
public final class RemoteException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** No connection (refused, unreachable, reset before an answer). */
    CONNECT,
    /** An HTTP status other than 200. */
    HTTP_STATUS,
    /** No complete answer within the request timeout. */
    TIMEOUT,
    /** The body was not the JSON expected, or was cut short. */
    MALFORMED,
    /** The caller cancelled the request (search cancelled, deadline reached, thread interrupted). */
    CANCELLED
  }

  private final Kind kind;
  private final int status;
  private final int attempts;

  public RemoteException(Kind kind, int status, int attempts, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
    this.attempts = attempts;
  }

  public Kind kind() {
    return kind;
  }

  /** The last HTTP status, or 0 when none was received. */
  public int status() {
    return status;
  }

  /** How many attempts were made. */
  public int attempts() {
    return attempts;
  }
}
