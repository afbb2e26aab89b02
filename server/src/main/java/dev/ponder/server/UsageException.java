package dev.ponder.server;

/** Bad command-line input found after parsing (a value out of range, options that do not go together): exit code 2. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
