package dev.ponder.samplers.beam;

import dev.ponder.engine.ProcessScorer.Aggregation;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.core.RoundDriver;
import java.util.Objects;

/**
 * Step-level beam search or DVTS guided by a process reward model (see {@link StepBeam} for the algorithm), over
 * any process. On a language model a step is one line by default (the decoding's boundary: stop at a newline, at
 * most 32 tokens); set another with {@link #decoding}. The result's trace is the search tree. Defaults: N = 8, M = 4, 16 steps, the last step's score, no lookahead.
 *
 * <pre>{@code
 * SearchResult r = Search.stepBeam(policy, prm).n(8).m(4).lookahead(2).seed(7).run("numbers: 3 7 25 50 target: 85\n");
 * }</pre>
 */
public final class StepBeamSearch<S> extends ProcessSearch<S, StepBeamSearch<S>> {
  private final ProcessScorer<S> prm;
  private final boolean diverse;
  private int n = 8;
  private int m = 4;
  private int maxSteps = 16;
  private Aggregation aggregation = Aggregation.LAST;
  private int lookahead;

  public StepBeamSearch(ProcessSource<S> source, ProcessScorer<S> prm, boolean diverse) {
    super(source);
    this.prm = Objects.requireNonNull(prm, "prm");
    this.diverse = diverse;
  }

  /** Live hypotheses N (a multiple of M). */
  public StepBeamSearch<S> n(int value) {
    this.n = requireAtLeast("n", value, 1);
    return this;
  }

  /** Expansions per kept hypothesis M: beam keeps N/M; DVTS runs N/M subtrees of width M. */
  public StepBeamSearch<S> m(int value) {
    this.m = requireAtLeast("m", value, 1);
    return this;
  }

  public StepBeamSearch<S> maxSteps(int value) {
    this.maxSteps = requireAtLeast("maxSteps", value, 1);
    return this;
  }

  public StepBeamSearch<S> aggregation(Aggregation value) {
    this.aggregation = Objects.requireNonNull(value, "aggregation");
    return this;
  }

  /**
   * Scores each candidate step after rolling it out {@code k} more steps greedily (temperature 0) on a fork, as
   * search-and-learn's {@code lookahead}; the candidate itself keeps its un-rolled state. Roll-out tokens count
   * as policy tokens. 0 (the default) scores the step itself. A process without a greedy step
   * ({@code GenerativeProcess.hasGreedyStep()}) rolls out with its ordinary (seeded) steps.
   */
  public StepBeamSearch<S> lookahead(int k) {
    this.lookahead = requireAtLeast("lookahead", k, 0);
    return this;
  }

  @Override
  protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
    if (n % m != 0) {
      throw new IllegalArgumentException("n must be a multiple of m, was n=" + n + ", m=" + m
          + "; e.g. n=" + (n / m + 1) * m);
    }
    StepBeam.Config c = new StepBeam.Config(n, m, diverse, aggregation, maxSteps, lookahead);
    StepBeam.GreedyStep<S> greedy = process.hasGreedyStep() ? process::advanceGreedy : process::advance;
    return RoundDriver.run(new StepBeam<>(process, prm, c, greedy, ctx), ctx);
  }
}
