package dev.ponder.samplers.smc;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.ProcessScorer;
import java.util.List;

/**
 * r(x) = -(x - a)^2 / (2 s_r^2), scored on the walk's current x at every step (intermediate rewards use the same
 * function on x_t). With the walk's x_T ~ N(mu, s^2) and inverse temperature lambda, everything is Gaussian:
 *
 * <pre>
 * tilted target  p(x) exp(lambda r(x)) / Z = N(m_*, v_*),
 *                1/v_* = 1/s^2 + lambda/s_r^2,   m_* = v_* (mu/s^2 + lambda a/s_r^2)
 * normalizer     Z = E_p[exp(lambda r(x_T))] = sqrt(v_* / s^2) exp(-lambda (mu - a)^2 / (2 (s_r^2 + lambda s^2)))
 * </pre>
 *
 * <p>Derivation of Z: with c = lambda/s_r^2, the exponent -(x-mu)^2/(2s^2) - c(x-a)^2/2 completes to
 * -(x-m_*)^2/(2v_*) - c (mu-a)^2/(2(1 + c s^2)); integrating against the N(mu, s^2) density leaves
 * sqrt(v_*) / s = (1 + c s^2)^(-1/2) times that constant. (Checked against quadrature in ExactSmcTest.)
 */
final class QuadraticReward implements ProcessScorer<GaussianWalkProcess.H> {
  final double a;
  final double sr;
  int calls;

  QuadraticReward(double a, double sr) {
    this.a = a;
    this.sr = sr;
  }

  double reward(double x) {
    double d = x - a;
    return -d * d / (2 * sr * sr);
  }

  @Override
  public double[] score(List<GaussianWalkProcess.H> partial, SearchContext ctx) {
    calls++;
    ctx.counters().addVerifierCalls(1);
    double[] out = new double[partial.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = reward(partial.get(i).x);
    }
    return out;
  }

  /** v_* of the target tilted from N(mu, s^2). */
  double tiltedVariance(double s, double lambda) {
    return 1.0 / (1.0 / (s * s) + lambda / (sr * sr));
  }

  /** m_* of the target tilted from N(mu, s^2). */
  double tiltedMean(double mu, double s, double lambda) {
    return tiltedVariance(s, lambda) * (mu / (s * s) + lambda * a / (sr * sr));
  }

  /** Z = E[exp(lambda r(X))] for X ~ N(mu, s^2). */
  double z(double mu, double s, double lambda) {
    double d = mu - a;
    return Math.sqrt(tiltedVariance(s, lambda) / (s * s)) * Math.exp(-lambda * d * d / (2 * (sr * sr + lambda * s * s)));
  }
}
