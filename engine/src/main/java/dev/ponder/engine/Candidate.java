package dev.ponder.engine;

import java.util.Objects;

/**
 * One finished (or cut) output of a search.
 *
 * @param text      the generated text, exactly as the policy produced it (prompt excluded)
 * @param score     the scorer's value (higher is better); {@code NaN} when nothing scored it
 * @param logProb   the policy's log-probability of the generated tokens (temperature 1, unfiltered)
 * @param tokens    how many tokens were generated
 * @param finished  true when generation ended by an end-of-sequence token, false when a length limit cut it
 */
public record Candidate(String text, double score, double logProb, int tokens, boolean finished) {
  public Candidate {
    Objects.requireNonNull(text, "text");
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
    }
  }

  public Candidate withScore(double newScore) {
    return new Candidate(text, newScore, logProb, tokens, finished);
  }
}
