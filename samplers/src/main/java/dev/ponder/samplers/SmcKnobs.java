package dev.ponder.samplers;

import java.util.Objects;

/**
 * The particle filter's settings with their validation, shared by every SMC front door (reasoning steps, diffusion)
 * so that each checks its values the same way. Mutable; the builders copy it into a {@link ParticleFilter.Config}.
 */
final class SmcKnobs {
  int particles = 8;
  Potential potential = Potential.DIFFERENCE;
  double lambda = 10;
  Resampling scheme = Resampling.SYSTEMATIC;
  double kappa = 1.0;
  ResampleSchedule schedule = ResampleSchedule.always();
  boolean weightedDraw;

  void particles(int n) {
    this.particles = LmSearchBuilder.requireAtLeast("particles", n, 1);
  }

  void potential(Potential value, double inverseTemperature) {
    if (!(inverseTemperature >= 0) || Double.isInfinite(inverseTemperature)) {
      throw new IllegalArgumentException("lambda must be finite and >= 0, was " + inverseTemperature);
    }
    this.potential = Objects.requireNonNull(value, "potential");
    this.lambda = inverseTemperature;
  }

  void resampling(Resampling value) {
    this.scheme = Objects.requireNonNull(value, "resampling");
  }

  void essThreshold(double value) {
    if (!(value > 0 && value <= 1)) {
      throw new IllegalArgumentException("kappa (the ESS threshold as a fraction of N) must be in (0, 1], was " + value);
    }
    this.kappa = value;
  }

  void schedule(ResampleSchedule value) {
    this.schedule = Objects.requireNonNull(value, "schedule");
  }

  ParticleFilter.Config config(int maxSteps) {
    return new ParticleFilter.Config(particles, potential, lambda, scheme, kappa, schedule, maxSteps, weightedDraw);
  }
}
