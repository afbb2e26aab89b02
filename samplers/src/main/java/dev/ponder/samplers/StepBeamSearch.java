package dev.ponder.samplers;

import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.StepBoundary;
import java.util.Objects;

/**
 * Step-level beam search or DVTS guided by a process reward model (see {@link StepBeam} for the algorithm). A step
 * is one line by default (the decoding's boundary: stop at a newline, at most 32 tokens); set another with
 * {@link #decoding}. Defaults: N = 8, M = 4, 16 steps, the last step's score, no lookahead.
 *
 * <pre>{@code
 * SearchResult r = Search.stepBeam(policy, prm).n(8).m(4).lookahead(2).seed(7).run("numbers: 3 7 25 50 target: 85\n");
 * }</pre>
 */
public final class StepBeamSearch extends LmSearchBuilder<StepBeamSearch> {
  private final ProcessScorer<LmHypothesis> prm;
  private final boolean diverse;
  private int n = 8;
  private int m = 4;
  private int maxSteps = 16;
  private Aggregation aggregation = Aggregation.LAST;
  private int lookahead;

  StepBeamSearch(LanguageModel policy, ProcessScorer<LmHypothesis> prm, boolean diverse) {
    super(policy);
    this.prm = Objects.requireNonNull(prm, "prm");
    this.diverse = diverse;
    this.decoding = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
  }

  /** Live hypotheses N (a multiple of M). */
  public StepBeamSearch n(int value) {
    this.n = requireAtLeast("n", value, 1);
    return this;
  }

  /** Expansions per kept hypothesis M: beam keeps N/M; DVTS runs N/M subtrees of width M. */
  public StepBeamSearch m(int value) {
    this.m = requireAtLeast("m", value, 1);
    return this;
  }

  public StepBeamSearch maxSteps(int value) {
    this.maxSteps = requireAtLeast("maxSteps", value, 1);
    return this;
  }

  public StepBeamSearch aggregation(Aggregation value) {
    this.aggregation = Objects.requireNonNull(value, "aggregation");
    return this;
  }

  /**
   * Scores each candidate step after rolling it out {@code k} more steps greedily (temperature 0) on a fork, as
   * search-and-learn's {@code lookahead}; the candidate itself keeps its un-rolled state. Roll-out tokens count
   * as policy tokens. 0 (the default) scores the step itself.
   */
  public StepBeamSearch lookahead(int k) {
    this.lookahead = requireAtLeast("lookahead", k, 0);
    return this;
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    if (n % m != 0) {
      throw new IllegalArgumentException("n must be a multiple of m, was n=" + n + ", m=" + m
          + "; e.g. n=" + (n / m + 1) * m);
    }
    StepBeam.Config c = new StepBeam.Config(n, m, diverse, aggregation, maxSteps, lookahead);
    return StepBeam.run(process, prm, c, process::advanceGreedy, ctx);
  }
}
