package dev.ponder.verifiers.onnx;


import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.diffusion.Latent;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/** What image scorers read from diffusion states, as batches. */
final class LatentViews {
  private LatentViews() {
  }

  static float[][] samples(List<Latent> hs) {
    float[][] x = new float[hs.size()][];
    for (int i = 0; i < x.length; i++) {
      x[i] = hs.get(i).sample();
    }
    return x;
  }

  /** The x0 prediction of each state; the sample itself for a state that has none yet or is terminal. */
  static float[][] predictions(List<Latent> hs) {
    float[][] x = new float[hs.size()][];
    for (int i = 0; i < x.length; i++) {
      Latent h = hs.get(i);
      float[] p = h.isTerminal() ? null : h.x0Prediction();
      x[i] = p != null ? p : h.sample();
    }
    return x;
  }

  static int[] timesteps(List<Latent> hs) {
    int[] t = new int[hs.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = hs.get(i).timestep();
    }
    return t;
  }

  /** Row {@code i * draws + k}: state i's prediction plus spread * sqrt(1 - abar_t) * eps_k. */
  static float[][] predictionDraws(List<Latent> hs, int draws, double spread, IntToDoubleFunction alphaCumprod,
      SearchContext ctx) {
    float[][] base = predictions(hs);
    float[][] out = new float[base.length * draws][];
    for (int i = 0; i < base.length; i++) {
      Latent h = hs.get(i);
      double sd = h.isTerminal() ? 0 : spread * Math.sqrt(1 - alphaCumprod.applyAsDouble(h.timestep()));
      for (int k = 0; k < draws; k++) {
        float[] x = base[i].clone();
        for (int j = 0; j < x.length && sd > 0; j++) {
          x[j] += (float) (sd * ctx.random().gaussian(h.lineage(), h.timestep(), RandomStreams.Purpose.REWARD,
              (long) k * x.length + j));
        }
        out[i * draws + k] = x;
      }
    }
    return out;
  }

  /** log (1/K sum_k exp(lp[i K + k])) for each of n groups. */
  static double[] logMeanExp(double[] lp, int n, int draws) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = logSumExp(lp, i * draws, draws) - Math.log(draws);
    }
    return out;
  }

  /** log sum_k exp(v[from + k]) over n values, by max-subtraction (no overflow near 1e4). */
  static double logSumExp(double[] v, int from, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = from; k < from + n; k++) {
      max = Math.max(max, v[k]);
    }
    double sum = 0;
    for (int k = from; k < from + n; k++) {
      sum += Math.exp(v[k] - max);
    }
    return max + Math.log(sum);
  }
}
