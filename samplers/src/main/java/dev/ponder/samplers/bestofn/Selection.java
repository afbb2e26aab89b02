package dev.ponder.samplers.bestofn;

/**
 * How best-of-N picks its answer from N scored samples.
 *
 * <ul>
 *   <li>{@link Argmax}: the highest-scoring sample.</li>
 *   <li>{@link Weighted}: the answer whose samples' scores sum highest (weighted best-of-N, Li et al. 2023).</li>
 *   <li>{@link Majority}: the most frequent answer (self-consistency, Wang et al. 2022); scores break ties.</li>
 *   <li>{@link Soft}: one sample drawn with probability proportional to exp(lambda * score) (soft best-of-N,
 *       Verdun et al. 2025); lambda -> infinity is argmax, lambda = 0 is plain sampling.</li>
 * </ul>
 */
public sealed interface Selection {
  record Argmax() implements Selection {}

  record Weighted() implements Selection {}

  record Majority() implements Selection {}

  record Soft(double lambda) implements Selection {
    public Soft {
      if (!(lambda >= 0) || Double.isInfinite(lambda)) {
        throw new IllegalArgumentException("soft best-of-N lambda must be finite and >= 0, was " + lambda);
      }
    }
  }

  static Selection argmax() {
    return new Argmax();
  }

  static Selection weighted() {
    return new Weighted();
  }

  static Selection majority() {
    return new Majority();
  }

  static Selection soft(double lambda) {
    return new Soft(lambda);
  }
}
