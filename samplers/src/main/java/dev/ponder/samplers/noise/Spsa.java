package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext.RandomStreams;

/**
 * Simultaneous perturbation stochastic approximation (Spall, "Multivariate stochastic approximation using a
 * simultaneous perturbation gradient approximation", IEEE TAC 1992) as a gradient-free ReNO: for a reward that
 * only gives values, each iteration draws a Rademacher perturbation Delta (each coordinate +1 or -1 with
 * probability 1/2, keyed by (restart, iteration, NOISE, j)) per restart and estimates
 *
 * <pre>g = (r(z + c Delta) - r(z - c Delta)) / (2 c) * Delta      (1 / Delta_j = Delta_j),</pre>
 *
 * an unbiased estimate of grad r up to O(c^2) (exact in expectation for a quadratic r). All restarts' 2 points are
 * one batched reward call. The estimate then goes through ReNO's loop ({@link Reno#ascend}): the regularizer's
 * exact gradient, the clip and the optimizer. Spall's decaying gains are replaced by the optimizer's learning
 * rate and a fixed c.
 *
 * <p>The best noise is tracked over the evaluated points z +- c Delta (no extra evaluation of z itself): the
 * reported reward is the reward of the returned noise. The Score event of a restart per iteration is the larger
 * of its two rewards.
 */
final class Spsa {
  private Spsa() {
  }

  /** The SPSA estimate of {@code reward}'s gradient with perturbation size {@code c}. */
  static Reno.Oracle estimate(NoiseReward reward, double c) {
    return (z, t, ctx) -> {
      int n = z.length;
      int d = n == 0 ? 0 : z[0].length;
      float[][] delta = new float[n][];
      float[][] points = new float[2 * n][d];
      for (int i = 0; i < n; i++) {
        delta[i] = rademacher(ctx.random(), i, t, d);
        for (int j = 0; j < d; j++) {
          points[2 * i][j] = (float) (z[i][j] + c * delta[i][j]);
          points[2 * i + 1][j] = (float) (z[i][j] - c * delta[i][j]);
        }
      }
      double[] r = reward.value(points, ctx);
      NoiseSearchBuilder.requireRows("reward value", r.length, 2 * n);
      float[][] bestPoints = new float[n][];
      double[] best = new double[n];
      double[][] grad = new double[n][d];
      for (int i = 0; i < n; i++) {
        double plus = r[2 * i];
        double minus = r[2 * i + 1];
        boolean plusWins = plus >= minus || Double.isNaN(minus);
        bestPoints[i] = points[plusWins ? 2 * i : 2 * i + 1];
        best[i] = plusWins ? plus : minus;
        double slope = (plus - minus) / (2 * c);
        for (int j = 0; j < d; j++) {
          grad[i][j] = slope * delta[i][j];
        }
      }
      return new Reno.Probe(bestPoints, best, grad);
    };
  }

  /** Rademacher draws: coordinate j is +1 or -1 by the top bit of (lineage, iteration, NOISE, j). */
  static float[] rademacher(RandomStreams random, long lineage, long iteration, int d) {
    float[] delta = new float[d];
    for (int j = 0; j < d; j++) {
      delta[j] = random.bits(lineage, iteration, RandomStreams.Purpose.NOISE, j) < 0 ? -1f : 1f;
    }
    return delta;
  }
}
