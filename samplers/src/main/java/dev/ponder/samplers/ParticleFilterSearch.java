package dev.ponder.samplers;

import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.StepBoundary;
import java.util.Objects;

/**
 * Particle filtering over reasoning steps with a process reward model's potentials. Defaults: 8 particles,
 * difference potentials at lambda 10, systematic resampling whenever ESS < N (kappa = 1) at every step, argmax
 * answer.
 */
public final class ParticleFilterSearch extends LmSearchBuilder<ParticleFilterSearch> {
  private final ProcessScorer<LmHypothesis> prm;
  private final SmcKnobs smc = new SmcKnobs();
  private int maxSteps = 16;

  ParticleFilterSearch(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    super(policy);
    this.prm = Objects.requireNonNull(prm, "prm");
    this.decoding = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
  }

  public ParticleFilterSearch particles(int n) {
    smc.particles(n);
    return this;
  }

  public ParticleFilterSearch potential(Potential value, double inverseTemperature) {
    smc.potential(value, inverseTemperature);
    return this;
  }

  public ParticleFilterSearch resampling(Resampling value) {
    smc.resampling(value);
    return this;
  }

  /** Resample when ESS < kappa N; kappa in (0, 1], 1 = every step. */
  public ParticleFilterSearch essThreshold(double value) {
    smc.essThreshold(value);
    return this;
  }

  /** The steps at which resampling may happen (default: every step). */
  public ParticleFilterSearch resampleSchedule(ResampleSchedule value) {
    smc.schedule(value);
    return this;
  }

  public ParticleFilterSearch maxSteps(int value) {
    this.maxSteps = requireAtLeast("maxSteps", value, 1);
    return this;
  }

  /** Return a particle drawn by final weight instead of the heaviest. */
  public ParticleFilterSearch weightedDraw(boolean value) {
    smc.weightedDraw = value;
    return this;
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    return ParticleFilter.run(process, prm, smc.config(maxSteps), ctx);
  }
}
