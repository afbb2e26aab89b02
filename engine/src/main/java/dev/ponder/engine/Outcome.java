package dev.ponder.engine;

/** How a search ended. */
public enum Outcome {
  /** The algorithm ran to its natural end. */
  COMPLETED,
  /** A {@link Budget} limit was reached; the result holds the best found before that. */
  BUDGET_EXHAUSTED,
  /** The caller cancelled the search; the result holds the best found before that. */
  CANCELLED
}
