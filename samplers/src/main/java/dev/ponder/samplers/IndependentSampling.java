package dev.ponder.samplers;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * n independent runs of a process to their ends, advanced together: one batched call per step for all that are
 * still live. Finished hypotheses drop out of the batch. When the budget runs out, the hypotheses are returned
 * as they stand (cut), flagged {@link Outcome#BUDGET_EXHAUSTED}. Ranking: by log-probability, best first.
 */
final class IndependentSampling {
  private IndependentSampling() {
  }

  static <S> SearchResult run(GenerativeProcess<S> process, int n, SearchContext ctx) {
    List<S> all = process.start(n, ctx);
    Outcome outcome = Sampling.decodeToEnd(process, all, ctx);
    List<Candidate> candidates = new ArrayList<>();
    for (S h : all) {
      candidates.add(process.toCandidate(h, Double.NaN));
      process.release(h);
    }
    candidates.sort(Comparator.comparingDouble(Candidate::logProb).reversed());
    SearchResult result = Sampling.finish(ctx, outcome, candidates);
    return result;
  }
}
