package dev.ponder.samplers.smc;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionSampling;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.core.RoundDriver;
import java.util.Objects;

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
    ProcessFeynmanKac<S> model = new ProcessFeynmanKac<>(process, scorer, potential, lambda, ctx);
    return RoundDriver.run(new ParticleFilter<>(model, c, ctx), ctx);
  }
}
