package dev.ponder.verifiers;

import java.util.Arrays;

/**
 * Rescales the scores of one candidate set so that verifiers on different scales can be compared or combined.
 * Each applies to the list scored together (a batch), so the result depends on the whole set.
 */
public enum Normalization {
  /** {@code (s - mean) / std} with the population std ({@code Σ(s - mean)² / n}); all 0 when the std is 0. */
  Z_SCORE {
    @Override
    double[] rescale(double[] s) {
      double mean = Arrays.stream(s).average().orElse(0);
      double var = 0;
      for (double x : s) {
        var += (x - mean) * (x - mean);
      }
      double std = Math.sqrt(var / s.length);
      double[] out = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = std > 0 ? (s[i] - mean) / std : 0.0;
      }
      return out;
    }
  },
  /** {@code (rank - 1) / (n - 1)} in [0, 1], lowest 0, ties share their average rank; 0.5 for a single score. */
  RANK {
    @Override
    double[] rescale(double[] s) {
      double[] ranks = ranks(s);
      double[] out = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = s.length == 1 ? 0.5 : (ranks[i] - 1) / (s.length - 1);
      }
      return out;
    }
  },
  /** {@code (s - min) / (max - min)} in [0, 1]; all 0.5 when every score is the same. */
  MIN_MAX {
    @Override
    double[] rescale(double[] s) {
      double min = Arrays.stream(s).min().orElse(0);
      double max = Arrays.stream(s).max().orElse(0);
      double[] out = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        out[i] = max > min ? (s[i] - min) / (max - min) : 0.5;
      }
      return out;
    }
  };

  /**
   * The rescaled scores, in order; the input array is not changed.
   *
   * @throws IllegalArgumentException when a score is {@code NaN} or infinite
   */
  public double[] apply(double[] scores) {
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException(name() + " normalization needs finite scores; score " + i + " was "
            + scores[i]);
      }
    }
    return scores.length == 0 ? new double[0] : rescale(scores);
  }

  abstract double[] rescale(double[] scores);

  /** Ranks 1..n, lowest score rank 1; tied scores share the mean of their ranks. */
  static double[] ranks(double[] s) {
    Integer[] order = new Integer[s.length];
    for (int i = 0; i < s.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b]));
    double[] ranks = new double[s.length];
    int i = 0;
    while (i < s.length) {
      int j = i;
      while (j + 1 < s.length && s[order[j + 1]] == s[order[i]]) {
        j++;
      }
      double mean = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        ranks[order[k]] = mean;
      }
      i = j + 1;
    }
    return ranks;
  }
}
