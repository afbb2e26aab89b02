package dev.ponder.server;

import java.nio.file.Path;
import java.util.function.Supplier;

/** Loads a model named by an option, so that a failure is one line naming the option, the path and the cause. */
final class Models {
  private Models() {
  }

  /** @throws IllegalStateException "search: cannot load --model DIR: CAUSE" */
  static <T> T load(String command, String option, Path dir, Supplier<T> loader) {
    try {
      return loader.get();
    } catch (RuntimeException e) {
      throw new IllegalStateException(command + ": cannot load " + option + " " + dir + ": " + Errors.failure(e), e);
    }
  }
}
