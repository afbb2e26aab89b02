package dev.ponder.engine.lm;

import java.util.List;
import java.util.Objects;

/**
 * Where one step of a language-model process ends. End-of-sequence tokens always end a hypothesis (and so its
 * step). Beyond that a step ends at the first of: a generated stop string (e.g. {@code "\n"} for one reasoning
 * line), {@code maxTokens} tokens, or the callback saying so. {@link #tokens(int)} with 1 makes every step one
 * token.
 *
 * @param stopStrings strings that end a step when the step's text ends with one (kept in the text)
 * @param maxTokens   the most tokens in one step, >= 1
 * @param callback    consulted after every token; {@link Callback#never()} by default
 */
public record StepBoundary(List<String> stopStrings, int maxTokens, Callback callback) {

  public StepBoundary {
    stopStrings = List.copyOf(stopStrings);
    for (String s : stopStrings) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty");
      }
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens per step must be >= 1, was " + maxTokens);
    }
    Objects.requireNonNull(callback, "callback");
  }

  /** Every step is at most {@code n} tokens (1: token-level search). */
  public static StepBoundary tokens(int n) {
    return new StepBoundary(List.of(), n, Callback.never());
  }

  /** A step ends at the first of the stop strings (e.g. a newline), or after {@code maxTokens}. */
  public static StepBoundary stopAt(int maxTokens, String... stopStrings) {
    return new StepBoundary(List.of(stopStrings), maxTokens, Callback.never());
  }

  public StepBoundary withCallback(Callback value) {
    return new StepBoundary(stopStrings, maxTokens, value);
  }

  /** Decides after each token whether the step ends. */
  @FunctionalInterface
  public interface Callback {
    /** @param stepText the text generated in this step so far */
    boolean endsStep(LmHypothesis hypothesis, String stepText);

    static Callback never() {
      return NEVER;
    }
  }

  private static final Callback NEVER = (h, text) -> false;

  /** Whether deciding the boundary needs the step's text. */
  boolean needsText() {
    return !stopStrings.isEmpty() || callback != NEVER;
  }
}
