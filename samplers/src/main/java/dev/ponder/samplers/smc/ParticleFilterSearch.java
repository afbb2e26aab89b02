package dev.ponder.samplers.smc;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.core.RoundDriver;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntToDoubleFunction;

/**
 * Particle filtering (SMC) over any process, with Feynman-Kac potentials from a process scorer (see
 * {@link ParticleFilter}): reasoning steps of a language model guided by a PRM (Puri et al. 2025), or Feynman-Kac
 * steering of a diffusion model by an intermediate reward (Singhal et al., "A general framework for inference-time
 * scaling and steering of diffusion models", 2025) — the same filter. The weighted particles target
 * p(x) exp(lambda r(x)) and {@link SearchResult#logZ()} estimates log E_p[exp(lambda r(x))] without bias. The
 * result's trace is the particle genealogy.
 *
 * <p>Defaults: 8 particles, difference potentials at lambda 10, systematic resampling whenever ESS &lt; N (kappa = 1)
 * at every step, the answer with the highest final reward; at most 16 steps on a language model, every denoising
 * step on a diffusion model. A diffusion sampler must be stochastic (DDPM, or DDIM with eta > 0): copies of a
 * resampled particle under a deterministic sampler never diverge, so resampling could only lose diversity.
 */
public final class ParticleFilterSearch<S> extends ProcessSearch<S, ParticleFilterSearch<S>> {
  private static final int DEFAULT_MAX_STEPS = 16;

  private final ProcessScorer<S> scorer;
  private int particles = 8;
  private Potential potential = Potential.DIFFERENCE;
  private double lambda = 10;
  private Resampling scheme = Resampling.SYSTEMATIC;
  private double kappa = 1.0;
  private ResampleSchedule schedule = ResampleSchedule.always();
  private boolean weightedDraw;
  private OutcomeScorer<S> outcome;
  private int maxSteps;

  public ParticleFilterSearch(ProcessSource<S> source, ProcessScorer<S> scorer) {
    super(source);
    this.scorer = Objects.requireNonNull(scorer, "scorer");
  }

  public ParticleFilterSearch<S> particles(int n) {
    this.particles = requireAtLeast("particles", n, 1);
    return this;
  }

  public ParticleFilterSearch<S> potential(Potential value, double inverseTemperature) {
    if (!(inverseTemperature >= 0) || Double.isInfinite(inverseTemperature)) {
      throw new IllegalArgumentException("lambda must be finite and >= 0, was " + inverseTemperature);
    }
    this.potential = Objects.requireNonNull(value, "potential");
    this.lambda = inverseTemperature;
    return this;
  }

  public ParticleFilterSearch<S> resampling(Resampling value) {
    this.scheme = Objects.requireNonNull(value, "resampling");
    return this;
  }

  /** Resample when ESS &lt; kappa N; kappa in (0, 1], 1 = whenever the weights are not all equal. */
  public ParticleFilterSearch<S> essThreshold(double value) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException("kappa (the ESS threshold as a fraction of N) must be in (0, 1], was " + value);
    }
    this.kappa = value;
    return this;
  }

  /** The steps at which resampling may happen (default: every step). */
  public ParticleFilterSearch<S> resampleSchedule(ResampleSchedule value) {
    this.schedule = Objects.requireNonNull(value, "schedule");
    return this;
  }

  /** The most steps (default: 16, or every denoising step of a diffusion process). */
  public ParticleFilterSearch<S> maxSteps(int value) {
    this.maxSteps = requireAtLeast("maxSteps", value, 1);
    return this;
  }

  /**
   * Ranks the final particles by this outcome score (one scorer call at the end, after the filter has run)
   * instead of by their latest process reward; the candidates carry it as their score. Default: none.
   */
  public ParticleFilterSearch<S> outcomeScorer(OutcomeScorer<S> value) {
    this.outcome = Objects.requireNonNull(value, "value");
    return this;
  }

  /** Return a particle drawn by final weight instead of the one with the highest final reward. */
  public ParticleFilterSearch<S> weightedDraw(boolean value) {
    this.weightedDraw = value;
    return this;
  }

  @Override
  protected void checkSampling(DiffusionSampling value) {
    if (!value.isStochastic()) {
      throw new IllegalArgumentException("Feynman-Kac steering needs a stochastic sampler, was " + value
          + ": resampled copies of a deterministic sampler never diverge. Use DDPM or DDIM with eta > 0.");
    }
  }

  @Override
  protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
    int steps = maxSteps;
    if (process instanceof DiffusionProcess d) {
      checkSampling(d.sampling());
      steps = steps == 0 ? d.steps() : steps;
    }
    ParticleFilter.Config c = new ParticleFilter.Config(particles, scheme, kappa, schedule,
        steps == 0 ? DEFAULT_MAX_STEPS : steps, weightedDraw);
    ProcessFeynmanKac<S> model = new ProcessFeynmanKac<>(process, scorer, potential, lambda, outcome, ctx);
    return RoundDriver.run(new ParticleFilter<>(model, c, ctx), ctx);
  }

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

  /**
   * Resampling schemes: each maps normalized weights W and N uniforms to N ancestor indices such that the expected
   * number of copies of particle i is N * W_i (Douc and Cappé, "Comparison of resampling schemes for particle
   * filtering", 2005). Ancestors come back sorted, so that copies of one particle are adjacent.
   *
   * <ul>
   *   <li>{@link #MULTINOMIAL}: N independent draws from W.</li>
   *   <li>{@link #STRATIFIED}: one draw in each stratum [k/N, (k+1)/N).</li>
   *   <li>{@link #SYSTEMATIC}: one uniform shifted by k/N; copies are floor or ceil of N * W_i.</li>
   *   <li>{@link #RESIDUAL}: floor(N * W_i) copies deterministically, the rest multinomially on the residuals.</li>
   * </ul>
   */
  public enum Resampling {
    MULTINOMIAL, STRATIFIED, SYSTEMATIC, RESIDUAL;

    /**
     * @param uniform the k-th uniform in [0, 1), for k in [0, n); called at most n + 1 times
     */
    int[] ancestors(Weights w, int n, IntToDoubleFunction uniform) {
      if (n < 1) {
        throw new IllegalArgumentException("resample needs n >= 1, was " + n);
      }
      switch (this) {
        case MULTINOMIAL: {
          double[] points = new double[n];
          for (int k = 0; k < n; k++) {
            points[k] = uniform.applyAsDouble(k);
          }
          Arrays.sort(points);
          return invert(w, points);
        }
        case STRATIFIED: {
          double[] points = new double[n];
          for (int k = 0; k < n; k++) {
            points[k] = (k + uniform.applyAsDouble(k)) / n;
          }
          return invert(w, points);
        }
        case SYSTEMATIC: {
          double u = uniform.applyAsDouble(0);
          double[] points = new double[n];
          for (int k = 0; k < n; k++) {
            points[k] = (k + u) / n;
          }
          return invert(w, points);
        }
        default:
          return residual(w, n, uniform);
      }
    }

    /**
     * Ancestor of each sorted point in [0, 1) under the cumulative weights. The walk stops at the last particle with
     * positive weight: normalized weights may sum to a hair under 1 and a point may round to 1.0, and neither may
     * hand a copy to a zero-weight particle after it.
     */
    private static int[] invert(Weights w, double[] sortedPoints) {
      int[] out = new int[sortedPoints.length];
      int lastPositive = w.size() - 1;
      while (lastPositive > 0 && w.get(lastPositive) == 0) {
        lastPositive--;
      }
      double cum = w.get(0);
      int i = 0;
      for (int k = 0; k < sortedPoints.length; k++) {
        while (sortedPoints[k] >= cum && i < lastPositive) {
          i++;
          cum += w.get(i);
        }
        out[k] = i;
      }
      return out;
    }

    private static int[] residual(Weights w, int n, IntToDoubleFunction uniform) {
      int[] out = new int[n];
      double[] residuals = new double[w.size()];
      int filled = 0;
      double residualMass = 0;
      for (int i = 0; i < w.size(); i++) {
        double expected = n * w.get(i);
        int copies = (int) Math.floor(expected);
        for (int c = 0; c < copies; c++) {
          out[filled++] = i;
        }
        residuals[i] = expected - copies;
        residualMass += residuals[i];
      }
      int rest = n - filled;
      if (rest > 0) {
        double[] points = new double[rest];
        for (int k = 0; k < rest; k++) {
          points[k] = uniform.applyAsDouble(k);
        }
        Arrays.sort(points);
        double[] normalizedResiduals = new double[residuals.length];
        for (int i = 0; i < residuals.length; i++) {
          normalizedResiduals[i] = residuals[i] / residualMass;
        }
        int[] extra = invert(Weights.fromLog(logOf(normalizedResiduals)), points);
        System.arraycopy(extra, 0, out, filled, rest);
      }
      Arrays.sort(out);
      return out;
    }

    private static double[] logOf(double[] p) {
      double[] out = new double[p.length];
      for (int i = 0; i < p.length; i++) {
        out[i] = Math.log(p[i]);
      }
      return out;
    }
  }

  /**
   * At which steps a particle filter may resample: every {@code every}-th step from {@code start} to {@code end}
   * inclusive (steps count from 0). Whether it does then depends on the ESS threshold; between allowed steps the
   * weights carry over.
   *
   * <pre>{@code ResampleSchedule.always()                 // every step
   * ResampleSchedule.every(5).between(10, 40)    // steps 10, 15, ..., 40}</pre>
   */
  public record ResampleSchedule(int every, int start, int end) {
    private static final ResampleSchedule ALWAYS = new ResampleSchedule(1, 0, Integer.MAX_VALUE);

    public ResampleSchedule {
      if (every < 1) {
        throw new IllegalArgumentException("resampling interval must be >= 1 step, was " + every);
      }
      if (start < 0 || end < start) {
        throw new IllegalArgumentException("resampling window must satisfy 0 <= start <= end, was [" + start + ", "
            + end + "]");
      }
    }

    public static ResampleSchedule always() {
      return ALWAYS;
    }

    /** Every {@code k}-th step, from step 0 on. */
    public static ResampleSchedule every(int k) {
      return new ResampleSchedule(k, 0, Integer.MAX_VALUE);
    }

    /** The same interval, only from {@code first} to {@code last} inclusive. */
    public ResampleSchedule between(int first, int last) {
      return new ResampleSchedule(every, first, last);
    }

    /** Whether resampling may happen after step {@code step}. */
    public boolean allows(int step) {
      return step >= start && step <= end && (step - start) % every == 0;
    }
  }
}
