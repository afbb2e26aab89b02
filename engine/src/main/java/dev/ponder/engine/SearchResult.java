package dev.ponder.engine;

import dev.ponder.engine.SearchContext.SearchCounters;
import dev.ponder.engine.SearchResult.Outcome;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a search returns: candidates ranked best first, why it stopped, what it cost, and its trace.
 *
 * @param candidates ranked best first (the algorithm's own order); empty only when nothing was generated
 * @param stopReason completed, which budget limit stopped it, or cancelled
 * @param stats      counters and wall time
 * @param logZ       the particle methods' estimate of the log normalizing constant; NaN for other algorithms
 * @param trace      how the search went: the tree, the particle genealogy or the iterates
 */
public record SearchResult(List<Candidate> candidates, StopReason stopReason, SearchStats stats, double logZ,
    SearchTrace trace) {
  public SearchResult {
    candidates = List.copyOf(candidates);
    Objects.requireNonNull(stopReason, "stopReason");
    Objects.requireNonNull(stats, "stats");
    Objects.requireNonNull(trace, "trace");
  }

  /** How the search ended: {@code stopReason().outcome()}. */
  public Outcome outcome() {
    return stopReason.outcome();
  }

  /** The top-ranked candidate. */
  public Candidate best() {
    if (candidates.isEmpty()) {
      throw new IllegalStateException("the search produced no candidate (" + stopReason.describe()
          + "); raise the budget");
    }
    return candidates.get(0);
  }

  public boolean budgetExhausted() {
    return outcome() == Outcome.BUDGET_EXHAUSTED;
  }

  /** How a search ended. */
  public enum Outcome {
    /** The algorithm ran to its natural end. */
    COMPLETED,
    /** A {@link Budget} limit was reached; the result holds the best found before that. */
    BUDGET_EXHAUSTED,
    /** The caller cancelled the search; the result holds the best found before that. */
    CANCELLED
  }

  /** What one search cost; see {@link SearchCounters} for what each count means. */
  public record SearchStats(long promptTokens, long generatedTokens, long policyTokens, long paddingTokens,
      long modelCalls, long verifierCalls, long verifierTokens, long verifierCacheHits, long verifierCacheMisses,
      long wallNanos) {

    public Duration wallTime() {
      return Duration.ofNanos(wallNanos);
    }

    @Override
    public String toString() {
      return String.format("prompt_tokens=%d generated_tokens=%d policy_tokens=%d padding_tokens=%d model_calls=%d"
              + " verifier_calls=%d verifier_tokens=%d verifier_cache_hits=%d verifier_cache_misses=%d wall_ms=%.1f",
          promptTokens, generatedTokens, policyTokens, paddingTokens, modelCalls, verifierCalls, verifierTokens,
          verifierCacheHits, verifierCacheMisses, wallNanos / 1e6);
    }
  }

  /**
   * Why a search stopped: it ran to its natural end, a {@link Budget} limit was reached (which one, the limit and
   * what had been spent), or it was cancelled (by a {@link SearchContext#cancel() cancel} call or a thread
   * interrupt). A closed vocabulary: switch over it.
   */
  public sealed interface StopReason {

    /** The coarse outcome this reason belongs to. */
    Outcome outcome();

    /** One line for logs and the CLI, e.g. {@code "model calls 4 >= 4"}. */
    String describe();

    /** The search that ran to its end. */
    static StopReason completed() {
      return Completed.INSTANCE;
    }

    /** The algorithm ran to its natural end. */
    record Completed() implements StopReason {
      private static final Completed INSTANCE = new Completed();

      @Override
      public Outcome outcome() {
        return Outcome.COMPLETED;
      }

      @Override
      public String describe() {
        return "completed";
      }
    }

    /**
     * A budget limit was reached.
     *
     * @param limit   which limit
     * @param allowed the limit's value (milliseconds for {@link Budget.Limit#WALL_TIME})
     * @param spent   what had been spent when the search noticed (same unit)
     */
    record LimitReached(Budget.Limit limit, long allowed, long spent) implements StopReason {
      public LimitReached {
        Objects.requireNonNull(limit, "limit");
      }

      @Override
      public Outcome outcome() {
        return Outcome.BUDGET_EXHAUSTED;
      }

      @Override
      public String describe() {
        return limit.label() + " " + spent + limit.unit() + " >= " + allowed + limit.unit();
      }
    }

    /**
     * The search was cancelled before its end.
     *
     * @param by who asked: a {@link SearchContext#cancel()} call (a future's {@code cancel}, a disconnected client)
     *           or an interrupt of the searching thread
     */
    record Cancelled(By by) implements StopReason {
      /** Who cancelled. */
      public enum By { CALLER, INTERRUPT }

      public Cancelled {
        Objects.requireNonNull(by, "by");
      }

      @Override
      public Outcome outcome() {
        return Outcome.CANCELLED;
      }

      @Override
      public String describe() {
        return by == By.CALLER ? "cancelled" : "interrupted";
      }
    }
  }

  /**
   * One finished (or cut) output of a search: a text for a language model, a continuous sample (an image's pixels)
   * for a diffusion model or a generator.
   *
   * @param text      the generated text, exactly as the policy produced it (prompt excluded); empty for a sample
   * @param score     the scorer's value (higher is better); {@code NaN} when nothing scored it
   * @param logProb   the policy's log-probability of the generated tokens (temperature 1, unfiltered); NaN for a
   *                  sample
   * @param tokens    how many tokens were generated (denoising steps taken, for a sample)
   * @param finished  true when generation ended by an end-of-sequence token (or the last denoising step), false when
   *                  a length limit or a budget cut it
   * @param sample    the continuous output, or {@code null} for text; the record keeps its own copy
   */
  public record Candidate(String text, double score, double logProb, int tokens, boolean finished, float[] sample) {
    public Candidate {
      Objects.requireNonNull(text, "text");
      if (tokens < 0) {
        throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
      }
      sample = sample == null ? null : sample.clone();
    }

    /** A text candidate. */
    public Candidate(String text, double score, double logProb, int tokens, boolean finished) {
      this(text, score, logProb, tokens, finished, null);
    }

    /** A continuous-sample candidate (diffusion, generator) after {@code steps} steps. */
    public static Candidate ofSample(float[] sample, double score, int steps, boolean finished) {
      return new Candidate("", score, Double.NaN, steps, finished, Objects.requireNonNull(sample, "sample"));
    }

    /** A copy of the continuous output, or {@code null} for a text candidate. */
    @Override
    public float[] sample() {
      return sample == null ? null : sample.clone();
    }

    public Candidate withScore(double newScore) {
      return new Candidate(text, newScore, logProb, tokens, finished, sample);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Candidate c && text.equals(c.text) && Double.compare(score, c.score) == 0
          && Double.compare(logProb, c.logProb) == 0 && tokens == c.tokens && finished == c.finished
          && Arrays.equals(sample, c.sample);
    }

    @Override
    public int hashCode() {
      return Objects.hash(text, score, logProb, tokens, finished) * 31 + Arrays.hashCode(sample);
    }

    @Override
    public String toString() {
      return "Candidate[text=" + text + ", score=" + score + ", logProb=" + logProb + ", tokens=" + tokens
          + ", finished=" + finished + (sample == null ? "" : ", sample=" + sample.length + " values") + "]";
    }
  }
}
