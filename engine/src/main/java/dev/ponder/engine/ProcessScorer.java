package dev.ponder.engine;

import java.util.List;

/** Scores partial hypotheses (a process reward model, a value function): one batched call per list. */
@FunctionalInterface
public interface ProcessScorer<S> {
  /** One score per hypothesis, higher is better, in the order given. */
  double[] score(List<S> partial, SearchContext ctx);

  /**
   * How per-step scores combine into one score for a (partial) solution (Snell et al. 2024 found "last" best for
   * PRMs trained on Monte-Carlo rollouts; "min" and "product" are the classic choices). The one aggregation of the
   * library: a step-level search aggregates the scores its process scorer gives each step, and a process reward
   * model used as an outcome scorer aggregates the steps of a whole text. A process scorer itself returns the
   * latest step's value, so aggregations never compound.
   */
  public enum Aggregation {
    /** {@code r_k}: the value of the latest step. */
    LAST,
    /** {@code min_j r_j}: a chain is as good as its weakest step. */
    MIN,
    /** {@code Π_j r_j}: the probability that every step is right, when the steps are probabilities. */
    PRODUCT,
    /** {@code Σ_j r_j / k}. */
    MEAN;

    /** Combines all of {@code stepScores}, in step order; NaN for none. */
    public double combine(double[] stepScores) {
      return combine(stepScores, stepScores.length);
    }

    /** Combines the first {@code n} step scores, in step order; NaN when {@code n} is 0. */
    public double combine(double[] stepScores, int n) {
      if (n == 0) {
        return Double.NaN;
      }
      switch (this) {
        case LAST:
          return stepScores[n - 1];
        case MIN: {
          double m = Double.POSITIVE_INFINITY;
          for (int i = 0; i < n; i++) {
            m = Math.min(m, stepScores[i]);
          }
          return m;
        }
        case PRODUCT: {
          double p = 1;
          for (int i = 0; i < n; i++) {
            p *= stepScores[i];
          }
          return p;
        }
        default: {
          double s = 0;
          for (int i = 0; i < n; i++) {
            s += stepScores[i];
          }
          return s / n;
        }
      }
    }
  }
}
