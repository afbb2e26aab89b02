package dev.ponder.samplers;

/**
 * How a process reward model's per-step scores combine into one score for a partial solution (Snell et al.
 * 2024 found "last" best for PRMs trained on Monte-Carlo rollouts; "min" and "product" are the classic choices).
 */
public enum Aggregation {
  LAST, MIN, PRODUCT, MEAN;

  /** Combines the first {@code n} step scores, in step order. */
  double combine(double[] stepScores, int n) {
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
