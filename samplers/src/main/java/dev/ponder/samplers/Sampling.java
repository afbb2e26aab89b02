package dev.ponder.samplers;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import java.util.ArrayList;
import java.util.List;

/** Shared loop: advance hypotheses together until every one is terminal or the budget stops the search. */
final class Sampling {
  private Sampling() {
  }

  /** The result of a search that ended with {@code outcome}, and the {@link SearchEvent.Done} event for it. */
  static SearchResult finish(SearchContext ctx, Outcome outcome, List<Candidate> ranked) {
    return finish(ctx, outcome, ranked, Double.NaN);
  }

  static SearchResult finish(SearchContext ctx, Outcome outcome, List<Candidate> ranked, double logZ) {
    String stoppedBy = outcome == Outcome.BUDGET_EXHAUSTED ? ctx.budgetExceededBy() : null;
    SearchResult result = new SearchResult(ranked, outcome, stoppedBy, ctx.stats(), logZ);
    ctx.emit(new SearchEvent.Done(outcome, stoppedBy, result.stats()));
    return result;
  }

  /** Decodes all to their ends, one batched call per step; finished ones drop out. Returns how it ended. */
  static <S> Outcome decodeToEnd(GenerativeProcess<S> process, List<S> all, SearchContext ctx) {
    List<S> live = new ArrayList<>(all);
    live.removeIf(process::isTerminal);
    int step = 0;
    while (!live.isEmpty()) {
      Outcome stop = ctx.stopReason();
      if (stop != null) {
        return stop;
      }
      ctx.emit(new SearchEvent.Step(step++, live.size()));
      live = new ArrayList<>(process.advance(live, ctx));
      live.removeIf(process::isTerminal);
    }
    return Outcome.COMPLETED;
  }
}
