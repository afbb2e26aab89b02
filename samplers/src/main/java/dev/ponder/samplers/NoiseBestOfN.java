package dev.ponder.samplers;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Best-of-N over noise draws with optional pruning part-way: all draws advance together; after step
 * {@code pruneAfter} the process scorer ranks them and only the best {@code keep} go on; the outcome scorer ranks
 * the finished ones. Ties keep draw order. When a budget stops the search early the states reached are scored as
 * they are and returned unfinished.
 */
final class NoiseBestOfN {
  private NoiseBestOfN() {
  }

  static <S> SearchResult run(GenerativeProcess<S> process, int n, OutcomeScorer<S> scorer, int pruneAfter, int keep,
      ProcessScorer<S> pruneScorer, SearchContext ctx) {
    List<S> live = new ArrayList<>(process.start(n, ctx));
    Outcome outcome = Outcome.COMPLETED;
    for (int step = 0; live.stream().anyMatch(h -> !process.isTerminal(h)); step++) {
      Outcome stop = ctx.stopReason();
      if (stop != null) {
        outcome = stop;
        break;
      }
      ctx.emit(new SearchEvent.Step(step, live.size()));
      process.advance(new ArrayList<>(live), ctx);
      if (step == pruneAfter && pruneScorer != null) {
        live = prune(process, live, keep, pruneScorer, ctx);
      }
    }
    double[] scores = new double[live.size()];
    if (scorer != null) {
      scores = scorer.score(live, ctx);
      if (scores.length != live.size()) {
        throw new IllegalStateException("the scorer returned " + scores.length + " scores for " + live.size()
            + " samples");
      }
      for (int i = 0; i < scores.length; i++) {
        ctx.emit(new SearchEvent.Score(process.lineage(live.get(i)), "outcome", scores[i]));
      }
    } else {
      java.util.Arrays.fill(scores, Double.NaN);
    }
    List<Candidate> ranked = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      ranked.add(process.toCandidate(live.get(i), scores[i]));
    }
    if (scorer != null) {
      ranked.sort(Comparator.comparingDouble(Candidate::score).reversed());
    }
    live.forEach(process::release);
    return Sampling.finish(ctx, outcome, ranked);
  }

  private static <S> List<S> prune(GenerativeProcess<S> process, List<S> live, int keep, ProcessScorer<S> scorer,
      SearchContext ctx) {
    double[] s = scorer.score(live, ctx);
    Integer[] order = new Integer[live.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      ctx.emit(new SearchEvent.Score(process.lineage(live.get(i)), "prune", s[i]));
    }
    java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -s[i]));
    boolean[] kept = new boolean[live.size()];
    for (int r = 0; r < Math.min(keep, order.length); r++) {
      kept[order[r]] = true;
    }
    List<S> survivors = new ArrayList<>();
    for (int i = 0; i < kept.length; i++) {
      if (kept[i]) {
        survivors.add(live.get(i));
      } else {
        ctx.emit(new SearchEvent.Prune(process.lineage(live.get(i)), "pruned by intermediate reward " + s[i]));
        process.release(live.get(i));
      }
    }
    return survivors;
  }
}
