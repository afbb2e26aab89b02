package dev.ponder.engine;

import java.util.List;
import java.util.Objects;

/**
 * What a search returns: candidates ranked best first, how the search ended, and what it cost.
 *
 * @param candidates ranked best first (the algorithm's own order); never empty unless nothing was generated
 * @param outcome    completed, budget exhausted or cancelled
 * @param stoppedBy  which budget limit stopped the search, or {@code null}
 * @param stats      counters and wall time
 * @param logZ       the particle methods' estimate of the log normalizing constant; NaN for other algorithms
 */
public record SearchResult(List<Candidate> candidates, Outcome outcome, String stoppedBy, SearchStats stats,
    double logZ) {
  public SearchResult {
    candidates = List.copyOf(candidates);
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(stats, "stats");
  }

  /** A result without a normalizing-constant estimate. */
  public SearchResult(List<Candidate> candidates, Outcome outcome, String stoppedBy, SearchStats stats) {
    this(candidates, outcome, stoppedBy, stats, Double.NaN);
  }

  /** The top-ranked candidate. */
  public Candidate best() {
    if (candidates.isEmpty()) {
      throw new IllegalStateException("the search produced no candidate (outcome " + outcome
          + (stoppedBy == null ? "" : ", stopped by " + stoppedBy) + "); raise the budget");
    }
    return candidates.get(0);
  }

  public boolean budgetExhausted() {
    return outcome == Outcome.BUDGET_EXHAUSTED;
  }
}
