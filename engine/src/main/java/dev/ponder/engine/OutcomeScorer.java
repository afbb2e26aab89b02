package dev.ponder.engine;

import java.util.List;

/** Scores finished hypotheses (an outcome reward model, a rule checker): one batched call per list. */
@FunctionalInterface
public interface OutcomeScorer<S> {
  /** One score per hypothesis, higher is better, in the order given. */
  double[] score(List<S> finished, SearchContext ctx);
}
