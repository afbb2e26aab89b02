package dev.ponder.engine;

import java.util.Arrays;
import java.util.Objects;

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
