package dev.ponder.samplers.smc;

import java.util.Arrays;
import java.util.function.IntToDoubleFunction;

/**
 * Resampling schemes: each maps normalized weights W and N uniforms to N ancestor indices such that the expected
 * number of copies of particle i is N * W_i (Douc and Cappé, "Comparison of resampling schemes for particle
 * filtering", 2005). Ancestors come back sorted, so that copies of one particle are adjacent.
 *
 * <ul>
 *   <li>{@link #MULTINOMIAL}: N independent draws from W.</li>
 *   <li>{@link #STRATIFIED}: one draw in each stratum [k/N, (k+1)/N).</li>
 *   <li>{@link #SYSTEMATIC}: one uniform shifted by k/N; copies are floor or ceil of N * W_i.</li>
 *   <li>{@link #RESIDUAL}: floor(N * W_i) copies deterministically, the rest multinomially on the residuals.</li>
 * </ul>
 */
public enum Resampling {
  MULTINOMIAL, STRATIFIED, SYSTEMATIC, RESIDUAL;

  /**
   * @param uniform the k-th uniform in [0, 1), for k in [0, n); called at most n + 1 times
   */
  int[] ancestors(Weights w, int n, IntToDoubleFunction uniform) {
    if (n < 1) {
      throw new IllegalArgumentException("resample needs n >= 1, was " + n);
    }
    switch (this) {
      case MULTINOMIAL: {
        double[] points = new double[n];
        for (int k = 0; k < n; k++) {
          points[k] = uniform.applyAsDouble(k);
        }
        Arrays.sort(points);
        return invert(w, points);
      }
      case STRATIFIED: {
        double[] points = new double[n];
        for (int k = 0; k < n; k++) {
          points[k] = (k + uniform.applyAsDouble(k)) / n;
        }
        return invert(w, points);
      }
      case SYSTEMATIC: {
        double u = uniform.applyAsDouble(0);
        double[] points = new double[n];
        for (int k = 0; k < n; k++) {
          points[k] = (k + u) / n;
        }
        return invert(w, points);
      }
      default:
        return residual(w, n, uniform);
    }
  }

  /**
   * Ancestor of each sorted point in [0, 1) under the cumulative weights. The walk stops at the last particle with
   * positive weight: normalized weights may sum to a hair under 1 and a point may round to 1.0, and neither may
   * hand a copy to a zero-weight particle after it.
   */
  private static int[] invert(Weights w, double[] sortedPoints) {
    int[] out = new int[sortedPoints.length];
    int lastPositive = w.size() - 1;
    while (lastPositive > 0 && w.get(lastPositive) == 0) {
      lastPositive--;
    }
    double cum = w.get(0);
    int i = 0;
    for (int k = 0; k < sortedPoints.length; k++) {
      while (sortedPoints[k] >= cum && i < lastPositive) {
        i++;
        cum += w.get(i);
      }
      out[k] = i;
    }
    return out;
  }

  private static int[] residual(Weights w, int n, IntToDoubleFunction uniform) {
    int[] out = new int[n];
    double[] residuals = new double[w.size()];
    int filled = 0;
    double residualMass = 0;
    for (int i = 0; i < w.size(); i++) {
      double expected = n * w.get(i);
      int copies = (int) Math.floor(expected);
      for (int c = 0; c < copies; c++) {
        out[filled++] = i;
      }
      residuals[i] = expected - copies;
      residualMass += residuals[i];
    }
    int rest = n - filled;
    if (rest > 0) {
      double[] points = new double[rest];
      for (int k = 0; k < rest; k++) {
        points[k] = uniform.applyAsDouble(k);
      }
      Arrays.sort(points);
      double[] normalizedResiduals = new double[residuals.length];
      for (int i = 0; i < residuals.length; i++) {
        normalizedResiduals[i] = residuals[i] / residualMass;
      }
      int[] extra = invert(Weights.fromLog(logOf(normalizedResiduals)), points);
      System.arraycopy(extra, 0, out, filled, rest);
    }
    Arrays.sort(out);
    return out;
  }

  private static double[] logOf(double[] p) {
    double[] out = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = Math.log(p[i]);
    }
    return out;
  }
}
