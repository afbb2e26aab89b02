package dev.ponder.samplers.smc;

/**
 * Feynman-Kac potentials G_t from intermediate rewards r_t (Singhal et al., "A general framework for
 * inference-time scaling and steering of diffusion models", 2025), as log-potentials with inverse temperature
 * lambda. Whatever the type, the terminal step's potential is chosen so that the product of all potentials is
 * exp(lambda * r_T): the weighted particles then target p(x) exp(lambda r(x)).
 *
 * <ul>
 *   <li>DIFFERENCE: log G_t = lambda (r_t - r_{t-1}), with r_{-1} = 0;</li>
 *   <li>MAX: log G_t = lambda max_{s&lt;=t} r_s;</li>
 *   <li>SUM: log G_t = lambda sum_{s&lt;=t} r_s;</li>
 *   <li>CURRENT: log G_t = lambda r_t.</li>
 * </ul>
 */
public enum Potential {
  DIFFERENCE, MAX, SUM, CURRENT;

  /**
   * The log-potential of a non-terminal step.
   *
   * @param rewards the particle's rewards r_0..r_t (t = count - 1)
   */
  double logPotential(double lambda, double[] rewards, int count) {
    double rt = rewards[count - 1];
    switch (this) {
      case DIFFERENCE:
        return lambda * (rt - (count > 1 ? rewards[count - 2] : 0));
      case MAX: {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
          m = Math.max(m, rewards[i]);
        }
        return lambda * m;
      }
      case SUM: {
        double s = 0;
        for (int i = 0; i < count; i++) {
          s += rewards[i];
        }
        return lambda * s;
      }
      default:
        return lambda * rt;
    }
  }

  /**
   * The terminal step's log-potential: lambda r_T minus the sum of the earlier log-potentials, so that the
   * product of all potentials is exactly exp(lambda r_T).
   */
  static double terminalLogPotential(double lambda, double finalReward, double earlierLogPotentials) {
    return lambda * finalReward - earlierLogPotentials;
  }
}
