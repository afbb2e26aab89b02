package dev.ponder.engine.lm;

import java.util.List;
import java.util.Objects;

/**
 * How tokens are chosen and where steps end. Filters apply in the order Hugging Face applies them: temperature,
 * top-k, top-p, min-p.
 *
 * @param temperature  0 for greedy (argmax), otherwise > 0
 * @param topK         keep the k most likely tokens; 0 = off
 * @param topP         keep the smallest set whose probability reaches p, in (0, 1]; 1 = off
 * @param minP         drop tokens below minP times the top token's probability, in [0, 1); 0 = off
 * @param maxNewTokens the most tokens a hypothesis may generate; reaching it cuts the hypothesis
 * @param boundary     where a step ends
 * @param stop         strings that end a hypothesis (finished, as at end of sequence) as soon as a generated token
 *                     completes one; the text keeps it (and the rest of that token): cut it there if you must.
 *                     Empty: only end of sequence and the length limit end a hypothesis
 */
public record Decoding(double temperature, int topK, double topP, double minP, int maxNewTokens, StepBoundary boundary,
    List<String> stop) {

  public Decoding {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be >= 0 (0 = greedy), was " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0 (0 = off), was " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), was " + topP);
    }
    if (!(minP >= 0 && minP < 1)) {
      throw new IllegalArgumentException("minP must be in [0, 1) (0 = off), was " + minP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1, was " + maxNewTokens);
    }
    Objects.requireNonNull(boundary, "boundary");
    stop = List.copyOf(Objects.requireNonNull(stop, "stop"));
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must not be empty, found " + stop);
      }
    }
  }

  /** No stop strings. */
  public Decoding(double temperature, int topK, double topP, double minP, int maxNewTokens, StepBoundary boundary) {
    this(temperature, topK, topP, minP, maxNewTokens, boundary, List.of());
  }

  /** Sampling at temperature 1, no filters, one token per step, at most 64 new tokens. */
  public static Decoding sampling() {
    return new Decoding(1.0, 0, 1.0, 0.0, 64, StepBoundary.tokens(1));
  }

  public static Decoding greedy() {
    return sampling().withTemperature(0);
  }

  public boolean isGreedy() {
    return temperature == 0;
  }

  public Decoding withTemperature(double value) {
    return new Decoding(value, topK, topP, minP, maxNewTokens, boundary, stop);
  }

  public Decoding withTopK(int value) {
    return new Decoding(temperature, value, topP, minP, maxNewTokens, boundary, stop);
  }

  public Decoding withTopP(double value) {
    return new Decoding(temperature, topK, value, minP, maxNewTokens, boundary, stop);
  }

  public Decoding withMinP(double value) {
    return new Decoding(temperature, topK, topP, value, maxNewTokens, boundary, stop);
  }

  public Decoding withMaxNewTokens(int value) {
    return new Decoding(temperature, topK, topP, minP, value, boundary, stop);
  }

  public Decoding withBoundary(StepBoundary value) {
    return new Decoding(temperature, topK, topP, minP, maxNewTokens, value, stop);
  }

  /** Ends each hypothesis at the first of these strings it generates (as OpenAI's {@code stop}). */
  public Decoding withStop(List<String> value) {
    return new Decoding(temperature, topK, topP, minP, maxNewTokens, boundary, value);
  }

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
}
