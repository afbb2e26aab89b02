package dev.ponder.samplers;

import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionSampling;
import dev.ponder.engine.diffusion.Latent;
import java.util.Objects;

/**
 * Feynman-Kac steering of a diffusion model (Singhal et al., "A general framework for inference-time scaling and
 * steering of diffusion models", 2025): particles denoise together; after each step an intermediate reward r_t
 * (from the x0 prediction, a noise-aware classifier, or several x0 draws) gives the potential, and particles are
 * resampled on the schedule when ESS < kappa N. The terminal potential makes the product of potentials
 * exp(lambda r(x_0)), so the weighted particles target p(x_0) exp(lambda r(x_0)) and {@code logZ} estimates
 * log E_p[exp(lambda r(x_0))] without bias. This is the same particle filter as for reasoning steps.
 *
 * <p>The sampler must be stochastic (DDPM, or DDIM with eta > 0): copies of a resampled particle under a
 * deterministic sampler never diverge, so resampling could only lose diversity. Defaults: DDIM 50 steps, eta 1;
 * 8 particles; difference potentials at lambda 10; systematic resampling whenever ESS < N, at every step; argmax
 * answer (the highest final reward).
 */
public final class FeynmanKacSearch extends DiffusionSearchBuilder<FeynmanKacSearch> {
  private final ProcessScorer<Latent> reward;
  private final SmcKnobs smc = new SmcKnobs();

  FeynmanKacSearch(DiffusionModel model, ProcessScorer<Latent> reward) {
    super(model, DiffusionSampling.ddim(50, 1.0));
    this.reward = Objects.requireNonNull(reward, "reward");
  }

  @Override
  public FeynmanKacSearch sampling(DiffusionSampling value) {
    if (!Objects.requireNonNull(value, "sampling").isStochastic()) {
      throw new IllegalArgumentException("Feynman-Kac steering needs a stochastic sampler, was " + value
          + ": resampled copies of a deterministic sampler never diverge. Use DDPM or DDIM with eta > 0.");
    }
    return super.sampling(value);
  }

  public FeynmanKacSearch particles(int n) {
    smc.particles(n);
    return this;
  }

  public FeynmanKacSearch potential(Potential value, double inverseTemperature) {
    smc.potential(value, inverseTemperature);
    return this;
  }

  public FeynmanKacSearch resampling(Resampling value) {
    smc.resampling(value);
    return this;
  }

  /** Resample when ESS < kappa N; kappa in (0, 1], 1 = whenever the weights are not all equal. */
  public FeynmanKacSearch essThreshold(double value) {
    smc.essThreshold(value);
    return this;
  }

  /** The denoising steps after which resampling may happen (default: every step). */
  public FeynmanKacSearch resampleSchedule(ResampleSchedule value) {
    smc.schedule(value);
    return this;
  }

  /** Return a particle drawn by final weight instead of the one with the highest final reward. */
  public FeynmanKacSearch weightedDraw(boolean value) {
    smc.weightedDraw = value;
    return this;
  }

  @Override
  SearchResult search(DiffusionProcess process, SearchContext ctx) {
    return ParticleFilter.run(process, reward, smc.config(process.steps()), ctx);
  }
}
