package dev.ponder.verifiers.onnx;


import java.util.Objects;

/** The checks every verifier builder applies to its shared settings, with the same messages everywhere. */
final class BuilderRules {
  private BuilderRules() {
  }

  static String name(String value) {
    Objects.requireNonNull(value, "name");
    if (value.isBlank()) {
      throw new IllegalArgumentException("the verifier name must not be blank");
    }
    return value;
  }

  /** A setting that may be given once: the new value, or an error naming the value already set. */
  static <T> T once(String setting, boolean alreadySet, T current, T value) {
    if (alreadySet) {
      throw new IllegalStateException(setting + " was already set to " + current);
    }
    return Objects.requireNonNull(value, setting);
  }

  /** A maximum length given once ({@code current == -1} means unset) and at least {@code min} tokens. */
  static int maxLength(int current, int value, int min) {
    if (current != -1) {
      throw new IllegalStateException("maxLength was already set to " + current);
    }
    if (value < min) {
      throw new IllegalArgumentException("maxLength must be >= " + min + " tokens, was " + value);
    }
    return value;
  }
}
