package dev.ponder.samplers.core;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.List;

/**
 * The one loop every process search runs: before each round, ask the context whether to stop (budget, deadline,
 * cancel, interrupt); emit the round's step event; let the algorithm do the round; at the end let it rank its
 * candidates, and build the result and the {@link SearchEvent.Done} event. A round that throws releases the
 * algorithm's hypotheses before the exception leaves.
 *
 * <p>Overshoot: limits are checked between rounds here, and between model calls inside a step by the process, and
 * between texts inside scoring by per-text verifiers; so a search passes a limit by at most one model or scorer
 * call (plus the round's bookkeeping).
 */
public final class RoundDriver {
  private RoundDriver() {
  }

  public static SearchResult run(Rounds algorithm, SearchContext ctx) {
    StopReason why = StopReason.completed();
    boolean finished = false;
    try {
      for (int round = 0; !algorithm.done(); round++) {
        StopReason stop = ctx.stopReason();
        if (stop != null) {
          why = stop;
          break;
        }
        int live = algorithm.live();
        if (live != Rounds.OWN_STEPS) {
          ctx.emit(new SearchEvent.Step(round, live));
        }
        algorithm.round(round);
      }
      List<Candidate> ranked = algorithm.finish(why);
      finished = true;
      return finish(ctx, why, ranked, algorithm);
    } finally {
      if (!finished) {
        algorithm.release();
      }
    }
  }

  /** The result of a search that ended for {@code why}, and the {@link SearchEvent.Done} event for it. */
  public static SearchResult finish(SearchContext ctx, StopReason why, List<Candidate> ranked, Rounds algorithm) {
    SearchResult result = new SearchResult(ranked, why, ctx.stats(), algorithm.logZ(), algorithm.trace());
    ctx.emit(new SearchEvent.Done(why, result.stats()));
    return result;
  }
}
