package dev.ponder.samplers.noise;

/**
 * ReNO's noise regularizer: the negative log-density of the norm of a d-dimensional standard normal (a chi
 * distribution with d degrees of freedom), up to a constant,
 *
 * <pre>reg(z) = ||z||^2 / 2 - (d - 1) log ||z||,     grad reg(z) = z - (d - 1) z / ||z||^2.</pre>
 *
 * Subtracting {@code weight * reg(z)} from the reward keeps optimized noise on the shell where Gaussian noise
 * lives; its minimum is at {@code ||z|| = sqrt(d - 1)}, the mode of the chi distribution (Eyring et al., "ReNO",
 * NeurIPS 2024, Section 3). The gradient is radial: it changes a vector's length, never its direction.
 */
final class ChiNorm {
  private ChiNorm() {
  }

  /** reg(z); +infinity at z = 0 for d > 1. */
  static double value(double[] z) {
    double sq = squaredNorm(z);
    return sq / 2 - (z.length - 1) * 0.5 * Math.log(sq);
  }

  /** Writes grad reg(z) into {@code out}; zero at z = 0, where the gradient is undefined. */
  static void gradient(double[] z, double[] out) {
    double sq = squaredNorm(z);
    double shrink = sq == 0 ? 0 : 1 - (z.length - 1) / sq;
    for (int j = 0; j < z.length; j++) {
      out[j] = shrink * z[j];
    }
  }

  static double squaredNorm(double[] z) {
    double s = 0;
    for (double v : z) {
      s += v * v;
    }
    return s;
  }
}
