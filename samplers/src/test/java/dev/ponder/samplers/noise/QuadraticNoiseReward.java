package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;

/**
 * r(z) = -||A z + b - target||^2 / 2 through a {@link LinearGenerator}, with its exact gradient
 * -A^T (A z + b - target). The maximum, 0, is at z* = A^{-1} (target - b). Adds one verifier call per batched call
 * and records each call's batch size.
 */
final class QuadraticNoiseReward implements DifferentiableReward {
  final LinearGenerator generator;
  final double[] target;
  final List<Integer> batchSizes = new ArrayList<>();

  QuadraticNoiseReward(LinearGenerator generator, double[] target) {
    this.generator = generator;
    this.target = target.clone();
  }

  /** The closed-form optimum z* = A^{-1} (target - b). */
  double[] optimum() {
    double[] y = new double[target.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = target[i] - generator.b[i];
    }
    return generator.solve(y);
  }

  double reward(float[] z) {
    double[] x = generator.apply(z);
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += (x[i] - target[i]) * (x[i] - target[i]);
    }
    return -s / 2;
  }

  @Override
  public ValueAndGradient valueAndGradient(float[][] noise, SearchContext ctx) {
    ctx.counters().addVerifierCalls(1);
    batchSizes.add(noise.length);
    int d = target.length;
    double[] values = new double[noise.length];
    float[][] grads = new float[noise.length][d];
    for (int k = 0; k < noise.length; k++) {
      double[] x = generator.apply(noise[k]);
      double s = 0;
      for (int i = 0; i < d; i++) {
        x[i] -= target[i];
        s += x[i] * x[i];
      }
      values[k] = -s / 2;
      for (int j = 0; j < d; j++) {
        double g = 0;
        for (int i = 0; i < d; i++) {
          g -= generator.a[i][j] * x[i];
        }
        grads[k][j] = (float) g;
      }
    }
    return new ValueAndGradient(values, grads);
  }
}
