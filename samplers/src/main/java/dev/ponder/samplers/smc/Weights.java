package dev.ponder.samplers.smc;

import java.util.Arrays;

/**
 * Normalized importance weights of a particle population, from unnormalized log-weights, computed by
 * max-subtraction so that log-weights near 1e4 (or -1e4) neither overflow nor underflow.
 *
 * <p>{@code W_i = exp(lw_i - max) / sum_j exp(lw_j - max)}; {@code ESS = 1 / sum W_i^2}, in [1, N] (exactly N
 * for equal weights);
 * {@code logMean = log(1/N sum exp(lw_i))}, the increment of the log normalizing-constant estimate.
 */
final class Weights {
  private final double[] normalized;
  private final double ess;
  private final double logMean;

  private Weights(double[] normalized, double ess, double logMean) {
    this.normalized = normalized;
    this.ess = ess;
    this.logMean = logMean;
  }

  /**
   * @throws IllegalArgumentException when a log-weight is NaN or +infinity, or every log-weight is -infinity
   */
  public static Weights fromLog(double[] logWeights) {
    int n = logWeights.length;
    if (n == 0) {
      throw new IllegalArgumentException("no particles: log-weights are empty");
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double lw = logWeights[i];
      if (Double.isNaN(lw) || lw == Double.POSITIVE_INFINITY) {
        throw new IllegalArgumentException("log-weight " + i + " is " + lw + "; log-weights must be finite or -infinity");
      }
      max = Math.max(max, lw);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      throw new IllegalArgumentException("all " + n + " log-weights are -infinity: every particle has zero weight,"
          + " so there is nothing to resample; check the potentials (a reward of -infinity everywhere?)");
    }
    double[] w = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      w[i] = Math.exp(logWeights[i] - max);
      sum += w[i];
    }
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      sumSq += w[i] * w[i];
    }
    // (sum w)^2 / sum w^2 on the unnormalized weights: exactly N for equal weights, where 1 / sum W^2 of the
    // normalized ones can round below N and trigger a needless resampling at kappa = 1.
    double ess = Math.min(n, sum * sum / sumSq);
    for (int i = 0; i < n; i++) {
      w[i] /= sum;
    }
    return new Weights(w, ess, max + Math.log(sum / n));
  }

  public int size() {
    return normalized.length;
  }

  public double get(int i) {
    return normalized[i];
  }

  public double[] toArray() {
    return normalized.clone();
  }

  /** Effective sample size, 1 / sum W^2, in [1, N]. */
  public double ess() {
    return ess;
  }

  /** log of the mean unnormalized weight: this step's factor of the normalizing-constant estimate. */
  public double logMean() {
    return logMean;
  }

  @Override
  public String toString() {
    return "Weights" + Arrays.toString(normalized) + " ess=" + ess;
  }
}
