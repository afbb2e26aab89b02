package dev.ponder.engine.diffusion;

import dev.ponder.engine.SearchContext.RandomStreams;

/**
 * The scheduler updates x_t -> x_prev for one hypothesis, in double precision, as diffusers' schedulers compute
 * them for an epsilon-prediction model. Both first predict
 * {@code x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)} and clip it to [-r, r] when clip_sample is set.
 */
final class ReverseStep {
  private ReverseStep() {
  }

  /** Where a step's fresh standard normal noise comes from: value j of the step's draw. */
  interface Noise {
    double at(int j);

    static Noise of(RandomStreams streams, long lineage, int step) {
      return j -> streams.gaussian(lineage, step, RandomStreams.Purpose.NOISE, j);
    }
  }

  /** Tweedie's x0 estimate from eps, clipped when the schedule clips; written into {@code x0}. */
  static void predictX0(double[] x, float[] eps, double abarT, NoiseSchedule s, double[] x0) {
    double sa = Math.sqrt(abarT);
    double sb = Math.sqrt(1 - abarT);
    double r = s.clipSampleRange();
    for (int j = 0; j < x.length; j++) {
      double v = (x[j] - sb * eps[j]) / sa;
      x0[j] = s.clipSample() ? Math.max(-r, Math.min(r, v)) : v;
    }
  }

  /**
   * DDIM (Song et al. 2021, eq. 12), as {@code DDIMScheduler.step(..., eta, use_clipped_model_output=True)}: eps is
   * re-derived from the clipped x0 as {@code (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t)}, then
   * {@code x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps + sigma z} with
   * {@code sigma = eta sqrt((1 - abar_prev) / (1 - abar_t)) sqrt(1 - abar_t / abar_prev)}.
   */
  static void ddim(double[] x, float[] eps, double abarT, double abarPrev, double eta, NoiseSchedule s,
      double[] x0, Noise noise) {
    predictX0(x, eps, abarT, s, x0);
    double sigma = eta * Math.sqrt((1 - abarPrev) / (1 - abarT) * (1 - abarT / abarPrev));
    double dir = Math.sqrt(Math.max(0, 1 - abarPrev - sigma * sigma));
    double sa = Math.sqrt(abarT);
    double sb = Math.sqrt(1 - abarT);
    double sp = Math.sqrt(abarPrev);
    for (int j = 0; j < x.length; j++) {
      double e = (x[j] - sa * x0[j]) / sb;
      x[j] = sp * x0[j] + dir * e + (eta > 0 ? sigma * noise.at(j) : 0);
    }
  }

  /**
   * DDPM's ancestral step (Ho et al. 2020, eqs. 6-7), as {@code DDPMScheduler.step}: with
   * {@code alpha = abar_t / abar_prev} and {@code beta = 1 - alpha}, the posterior mean
   * {@code sqrt(abar_prev) beta / (1 - abar_t) x0 + sqrt(alpha) (1 - abar_prev) / (1 - abar_t) x_t}, plus, for
   * t &gt; 0, {@code sqrt(var) z} with var = beta-tilde {@code (1 - abar_prev) / (1 - abar_t) beta} clamped at 1e-20
   * (fixed_small, fixed_small_log) or {@code beta} (fixed_large).
   */
  static void ddpm(double[] x, float[] eps, int t, double abarT, double abarPrev, NoiseSchedule s, double[] x0,
      Noise noise) {
    predictX0(x, eps, abarT, s, x0);
    double alpha = abarT / abarPrev;
    double beta = 1 - alpha;
    double c0 = Math.sqrt(abarPrev) * beta / (1 - abarT);
    double ct = Math.sqrt(alpha) * (1 - abarPrev) / (1 - abarT);
    double std = 0;
    if (t > 0) {
      double var = "fixed_large".equals(s.varianceType()) ? beta : Math.max((1 - abarPrev) / (1 - abarT) * beta, 1e-20);
      std = Math.sqrt(var);
    }
    for (int j = 0; j < x.length; j++) {
      x[j] = c0 * x0[j] + ct * x[j] + (std > 0 ? std * noise.at(j) : 0);
    }
  }
}
