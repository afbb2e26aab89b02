package dev.ponder.samplers.noise;

/**
 * The first-order update that reward-guided noise optimization applies to each noise vector, as an immutable
 * config; {@link #start} makes the per-vector state (momentum, moment estimates). Both ascend: they maximize.
 *
 * <ul>
 *   <li>{@link SgdNesterov}: PyTorch's {@code SGD(nesterov=True, dampening=0)} turned to ascent:
 *       {@code v <- mu v + g;  z <- z + lr (g + mu v)}, with {@code v = 0} before the first step. ReNO (Eyring et
 *       al., NeurIPS 2024) uses lr 5, mu 0.9 with the gradient clipped to norm 0.1.</li>
 *   <li>{@link Adam}: Kingma and Ba (ICLR 2015) with bias correction, as PyTorch's {@code Adam}:
 *       {@code m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2;  z <- z + lr (m / (1-b1^t)) / (sqrt(s / (1-b2^t)) + eps)}.
 *   </li>
 * </ul>
 */
public sealed interface NoiseOptimizer permits NoiseOptimizer.SgdNesterov, NoiseOptimizer.Adam {

  /** Gradient ascent with Nesterov momentum; {@code momentum} 0 is plain gradient ascent. */
  static SgdNesterov sgdNesterov(double learningRate, double momentum) {
    return new SgdNesterov(learningRate, momentum);
  }

  /** Adam with the usual beta1 0.9, beta2 0.999, eps 1e-8. */
  static Adam adam(double learningRate) {
    return new Adam(learningRate, 0.9, 0.999, 1e-8);
  }

  static Adam adam(double learningRate, double beta1, double beta2, double eps) {
    return new Adam(learningRate, beta1, beta2, eps);
  }

  double learningRate();

  /** Fresh state for one noise vector of the given dimension. Not thread-safe; one per vector. */
  State start(int dimension);

  /** The optimizer's memory for one noise vector. */
  interface State {
    /** One ascent step: moves {@code z} in place along {@code gradient} (d objective / d z). */
    void ascend(double[] z, double[] gradient);
  }

  /** Nesterov-momentum gradient ascent. lr > 0 finite; momentum in [0, 1). */
  record SgdNesterov(double learningRate, double momentum) implements NoiseOptimizer {
    public SgdNesterov {
      requireLearningRate(learningRate);
      requireUnitInterval("momentum", momentum, "ReNO uses 0.9; 0 is plain gradient ascent");
    }

    @Override
    public State start(int dimension) {
      double[] v = new double[dimension];
      return (z, g) -> {
        for (int j = 0; j < z.length; j++) {
          v[j] = momentum * v[j] + g[j];
          z[j] += learningRate * (g[j] + momentum * v[j]);
        }
      };
    }
  }

  /** Adam. lr > 0 finite; beta1, beta2 in [0, 1); eps > 0 finite. */
  record Adam(double learningRate, double beta1, double beta2, double eps) implements NoiseOptimizer {
    public Adam {
      requireLearningRate(learningRate);
      requireUnitInterval("beta1", beta1, "the usual value is 0.9");
      requireUnitInterval("beta2", beta2, "the usual value is 0.999");
      if (!(eps > 0) || Double.isInfinite(eps)) {
        throw new IllegalArgumentException("eps must be finite and > 0, was " + eps + "; the usual value is 1e-8");
      }
    }

    @Override
    public State start(int dimension) {
      double[] m = new double[dimension];
      double[] s = new double[dimension];
      int[] t = {0};
      return (z, g) -> {
        t[0]++;
        double c1 = 1 - Math.pow(beta1, t[0]);
        double c2 = 1 - Math.pow(beta2, t[0]);
        for (int j = 0; j < z.length; j++) {
          m[j] = beta1 * m[j] + (1 - beta1) * g[j];
          s[j] = beta2 * s[j] + (1 - beta2) * g[j] * g[j];
          z[j] += learningRate * (m[j] / c1) / (Math.sqrt(s[j] / c2) + eps);
        }
      };
    }
  }

  private static void requireLearningRate(double lr) {
    if (!(lr > 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, was " + lr
          + "; ReNO uses 5 with SGD-Nesterov and a 0.1 gradient clip, Adam typically 0.01 to 0.1");
    }
  }

  private static void requireUnitInterval(String name, double value, String fix) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1), was " + value + "; " + fix);
    }
  }
}
