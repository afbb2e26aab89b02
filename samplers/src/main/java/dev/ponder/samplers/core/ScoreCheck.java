package dev.ponder.samplers.core;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext;
import java.util.Comparator;

/** Scores checked on arrival from a scorer, and the one order that ranks them. */
public final class ScoreCheck {
  private ScoreCheck() {
  }

  /** Best first; a NaN score (a text the search stopped before scoring) ranks last. Stable. */
  public static final Comparator<Candidate> BEST_FIRST =
      Comparator.comparingDouble((Candidate c) -> rankable(c.score())).reversed();

  /** The value to rank {@code score} by: NaN (unscored) as the worst. */
  public static double rankable(double score) {
    return Double.isNaN(score) ? Double.NEGATIVE_INFINITY : score;
  }

  /**
   * Checks a scorer's answer: one score per hypothesis, none NaN or +infinity (-infinity is allowed: "impossible").
   * A NaN is accepted only once the search has been told to stop (a scorer that stops mid-list on a deadline
   * leaves the rest NaN, and they rank last). Scorers that may legitimately produce NaN should be wrapped in an
   * explicit policy ({@code Verifiers.withBadScorePolicy}).
   *
   * @throws IllegalStateException naming the scorer, the position and the value
   */
  public static double[] check(String scorer, double[] scores, int expected, SearchContext ctx) {
    if (scores == null || scores.length != expected) {
      throw new IllegalStateException("the " + scorer + " scorer returned " + (scores == null ? "null" : scores.length
          + " scores") + " for " + expected + " hypotheses; it must return one per hypothesis, in order");
    }
    for (int i = 0; i < scores.length; i++) {
      double s = scores[i];
      if (s == Double.POSITIVE_INFINITY || (Double.isNaN(s) && ctx.stopReason() == null)) {
        throw new IllegalStateException("the " + scorer + " scorer returned " + s + " for hypothesis " + i + " of "
            + expected + "; scores must be finite or -infinity (wrap the scorer in an explicit bad-score policy to"
            + " map such values)");
      }
    }
    return scores;
  }
}
