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
 * difference potentials at lambda 10, systematic resampling whenever ESS < N (kappa = 1), argmax answer.
 */
public final class ParticleFilterSearch extends LmSearchBuilder<ParticleFilterSearch> {
  private final ProcessScorer<LmHypothesis> prm;
  private int particles = 8;
  private Potential potential = Potential.DIFFERENCE;
  private double lambda = 10;
  private Resampling scheme = Resampling.SYSTEMATIC;
  private double kappa = 1.0;
  private int maxSteps = 16;
  private boolean weightedDraw;

  ParticleFilterSearch(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    super(policy);
    this.prm = Objects.requireNonNull(prm, "prm");
    this.decoding = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
  }

  public ParticleFilterSearch particles(int n) {
    this.particles = requireAtLeast("particles", n, 1);
    return this;
  }

  public ParticleFilterSearch potential(Potential value, double inverseTemperature) {
    if (!(inverseTemperature >= 0) || Double.isInfinite(inverseTemperature)) {
      throw new IllegalArgumentException("lambda must be finite and >= 0, was " + inverseTemperature);
    }
    this.potential = Objects.requireNonNull(value, "potential");
    this.lambda = inverseTemperature;
    return this;
  }

  public ParticleFilterSearch resampling(Resampling value) {
    this.scheme = Objects.requireNonNull(value, "resampling");
    return this;
  }

  /** Resample when ESS < kappa N; kappa in (0, 1], 1 = every step. */
  public ParticleFilterSearch essThreshold(double value) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException("kappa (the ESS threshold as a fraction of N) must be in (0, 1], was " + value);
    }
    this.kappa = value;
    return this;
  }

  public ParticleFilterSearch maxSteps(int value) {
    this.maxSteps = requireAtLeast("maxSteps", value, 1);
    return this;
  }

  /** Return a particle drawn by final weight instead of the heaviest. */
  public ParticleFilterSearch weightedDraw(boolean value) {
    this.weightedDraw = value;
    return this;
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    return ParticleFilter.run(process, prm,
        new ParticleFilter.Config(particles, potential, lambda, scheme, kappa, maxSteps, weightedDraw), ctx);
  }
}
