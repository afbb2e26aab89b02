package dev.ponder.engine;

import java.util.List;

/** Scores partial hypotheses (a process reward model, a value function): one batched call per list. */
@FunctionalInterface
public interface ProcessScorer<S> {
  /** One score per hypothesis, higher is better, in the order given. */
  double[] score(List<S> partial, SearchContext ctx);
}
