package dev.ponder.samplers.noise;

import dev.ponder.engine.SearchContext.RandomStreams;
import java.util.Objects;

/**
 * Noise vectors at an exact angle from a pivot, for zero-order search (Ma et al., "Inference-time scaling for
 * diffusion models beyond scaling denoising steps", 2025): each neighbour is
 *
 * <pre>n = c p + sqrt(1 - c^2) ||p|| u,    u a unit vector orthogonal to p,</pre>
 *
 * so {@code cos(n, p) = c} and {@code ||n|| = ||p||} exactly (to float rounding, about 1e-7): neighbours stay on
 * the pivot's sphere, where the Gaussian noise a generator was trained on lives. {@code u} is a standard normal
 * draw made orthogonal to {@code p} by Gram-Schmidt (applied twice, which is enough in floating point) and
 * normalized; neighbour {@code k}'s draw is keyed by {@code (lineage, step, NOISE, k d + j)}, so the neighbours of a
 * pivot do not depend on which other pivots are searched.
 */
final class NoiseNeighbours {
  private NoiseNeighbours() {
  }

  /**
   * {@code m} neighbours of {@code pivot} at cosine {@code cosine}.
   *
   * @throws IllegalArgumentException if cosine is outside [-1, 1] or NaN, m < 1, the pivot is zero or not finite,
   *                                  or it has dimension 1 and |cosine| < 1 (no orthogonal direction exists)
   */
  public static float[][] around(float[] pivot, double cosine, int m, RandomStreams random, long lineage,
      long step) {
    Objects.requireNonNull(pivot, "pivot");
    Objects.requireNonNull(random, "random");
    if (!(cosine >= -1 && cosine <= 1)) {
      throw new IllegalArgumentException("cosine must be in [-1, 1], was " + cosine
          + "; it is cos(neighbour, pivot): 1 is the pivot itself, 0 orthogonal, 0.95 a small move");
    }
    NoiseSearchBuilder.requireAtLeast("m (neighbours)", m, 1, "ask for at least one neighbour");
    int d = pivot.length;
    double[] e = new double[d];
    double norm = 0;
    for (int j = 0; j < d; j++) {
      e[j] = pivot[j];
      norm += e[j] * e[j];
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0) || Double.isInfinite(norm)) {
      throw new IllegalArgumentException("pivot must be a finite non-zero vector, its norm was " + norm
          + "; a neighbour at a given angle is undefined for it");
    }
    if (d == 1 && Math.abs(cosine) < 1) {
      throw new IllegalArgumentException("a pivot of dimension 1 has no orthogonal direction, so cosine must be 1"
          + " or -1, was " + cosine);
    }
    for (int j = 0; j < d; j++) {
      e[j] /= norm;
    }
    double along = cosine * norm;
    double across = Math.sqrt(Math.max(0, 1 - cosine * cosine)) * norm;
    float[][] out = new float[m][d];
    double[] u = new double[d];
    for (int k = 0; k < m; k++) {
      unitOrthogonal(e, random, lineage, step, (long) k * d, u);
      for (int j = 0; j < d; j++) {
        out[k][j] = (float) (along * e[j] + across * u[j]);
      }
    }
    return out;
  }

  /** A unit vector orthogonal to the unit vector {@code e}, from standard normals at indices first + j. */
  private static void unitOrthogonal(double[] e, RandomStreams random, long lineage, long step, long first,
      double[] u) {
    for (long attempt = 0; ; attempt++) {
      for (int j = 0; j < u.length; j++) {
        u[j] = standardNormal(random, lineage, step, first + j + attempt * 0x1_0000_0000L);
      }
      for (int pass = 0; pass < 2; pass++) {
        double dot = 0;
        for (int j = 0; j < u.length; j++) {
          dot += u[j] * e[j];
        }
        for (int j = 0; j < u.length; j++) {
          u[j] -= dot * e[j];
        }
      }
      double n = Math.sqrt(ChiNorm.squaredNorm(u));
      if (n > 1e-6) { // a draw (almost) parallel to e has probability ~0; draw again, deterministically
        for (int j = 0; j < u.length; j++) {
          u[j] /= n;
        }
        return;
      }
    }
  }

  /** A standard normal keyed by (lineage, step, NOISE, index): {@link RandomStreams#gaussian}. */
  static double standardNormal(RandomStreams random, long lineage, long step, long index) {
    return random.gaussian(lineage, step, RandomStreams.Purpose.NOISE, index);
  }
}
