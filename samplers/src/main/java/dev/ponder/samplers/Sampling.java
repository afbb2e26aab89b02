package dev.ponder.samplers;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import java.util.ArrayList;
import java.util.List;

/** Shared loop: advance hypotheses together until every one is terminal or the budget stops the search. */
final class Sampling {
  private Sampling() {
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
