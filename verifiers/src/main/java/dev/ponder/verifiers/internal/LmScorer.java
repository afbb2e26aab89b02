package dev.ponder.verifiers.internal;

import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;


import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.ArrayList;
import java.util.List;

/** Adapts a {@link Verifier} to the engine's scorer contracts over {@link LmHypothesis}; rejects bad scores. */
public final class LmScorer implements OutcomeScorer<LmHypothesis>, ProcessScorer<LmHypothesis> {
  private final Verifier verifier;

  public LmScorer(Verifier verifier) {
    this.verifier = verifier;
  }

  @Override
  public double[] score(List<LmHypothesis> hypotheses, SearchContext ctx) {
    List<VerifierInput> inputs = new ArrayList<>(hypotheses.size());
    for (LmHypothesis h : hypotheses) {
      inputs.add(VerifierInput.of(h));
    }
    return Scores.checked(verifier, inputs, ctx);
  }

  @Override
  public String toString() {
    return verifier.name();
  }
}
