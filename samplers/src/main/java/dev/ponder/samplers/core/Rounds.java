package dev.ponder.samplers.core;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.List;

/**
 * An algorithm as the {@link RoundDriver} sees it: only its decisions. The driver owns the loop, budgets,
 * deadlines, cancellation, the step events, the result and the final event; the algorithm says what one round
 * does (advance, score, select, resample, expand) and what it returns.
 */
public interface Rounds {

  /**
   * Hypotheses the next round advances, for its {@link dev.ponder.engine.SearchEvent.Step} event; {@link #OWN_STEPS}
   * when the algorithm emits its own step events (MCTS: one per batched advance inside a wave).
   */
  int live();

  int OWN_STEPS = -1;

  /** Whether the algorithm has reached its natural end. */
  boolean done();

  /** One round. May leave the search mid-way when the context says stop; the driver then finishes it. */
  void round(int round);

  /**
   * The ranked candidates, best first, after the search ended for {@code why}; releases every hypothesis. Called
   * once, unless a round threw (then {@link #release} is called instead).
   */
  List<Candidate> finish(StopReason why);

  /** Frees every hypothesis still held; after a failure. Idempotent. */
  void release();

  default SearchTrace trace() {
    return SearchTrace.none();
  }

  /** The particle methods' log normalizing-constant estimate; NaN for the others. */
  default double logZ() {
    return Double.NaN;
  }
}
