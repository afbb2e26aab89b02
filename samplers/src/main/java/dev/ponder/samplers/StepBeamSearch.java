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
 * Step-level beam search or DVTS guided by a process reward model. A step is one line by default (the decoding's
 * boundary: stop at a newline, at most 32 tokens); set another with {@link #decoding}.
 */
public final class StepBeamSearch extends LmSearchBuilder<StepBeamSearch> {
  private final ProcessScorer<LmHypothesis> prm;
  private final boolean diverse;
  private int n = 8;
  private int m = 4;
  private int maxSteps = 16;
  private Aggregation aggregation = Aggregation.LAST;

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

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    if (n % m != 0) {
      throw new IllegalArgumentException("n must be a multiple of m, was n=" + n + ", m=" + m
          + "; e.g. n=" + (n / m + 1) * m);
    }
    return StepBeam.run(process, prm, n, m, diverse, aggregation, maxSteps, ctx);
  }
}
