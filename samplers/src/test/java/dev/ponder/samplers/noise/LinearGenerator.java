package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchContext;

/**
 * A test generator x = A z + b with a fixed, well-conditioned square A (identity plus small off-diagonal terms)
 * and a fixed b. Adds one model call per batched call.
 */
final class LinearGenerator implements NoiseGenerator {
  final double[][] a;
  final double[] b;

  LinearGenerator(int d) {
    a = new double[d][d];
    b = new double[d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        a[i][j] = i == j ? 1.0 + 0.1 * i : 0.1 * (((i * 3 + j * 5) % 7) - 3) / 3.0;
      }
      b[i] = 0.5 - 0.25 * i;
    }
  }

  @Override
  public int noiseDimension() {
    return b.length;
  }

  double[] apply(float[] z) {
    double[] x = b.clone();
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x.length; j++) {
        x[i] += a[i][j] * z[j];
      }
    }
    return x;
  }

  @Override
  public float[][] generate(float[][] noise, SearchContext ctx) {
    ctx.counters().addModelCalls(1);
    float[][] out = new float[noise.length][];
    for (int k = 0; k < noise.length; k++) {
      double[] x = apply(noise[k]);
      out[k] = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        out[k][i] = (float) x[i];
      }
    }
    return out;
  }

  /** Solves A z = y by Gaussian elimination with partial pivoting. */
  double[] solve(double[] y) {
    int d = y.length;
    double[][] m = new double[d][d + 1];
    for (int i = 0; i < d; i++) {
      System.arraycopy(a[i], 0, m[i], 0, d);
      m[i][d] = y[i];
    }
    for (int c = 0; c < d; c++) {
      int p = c;
      for (int r = c + 1; r < d; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[p][c])) {
          p = r;
        }
      }
      double[] t = m[c];
      m[c] = m[p];
      m[p] = t;
      for (int r = 0; r < d; r++) {
        if (r != c) {
          double f = m[r][c] / m[c][c];
          for (int k = c; k <= d; k++) {
            m[r][k] -= f * m[c][k];
          }
        }
      }
    }
    double[] z = new double[d];
    for (int i = 0; i < d; i++) {
      z[i] = m[i][d] / m[i][i];
    }
    return z;
  }
}
