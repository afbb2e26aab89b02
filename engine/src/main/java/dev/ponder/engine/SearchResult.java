package dev.ponder.engine;

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
}
