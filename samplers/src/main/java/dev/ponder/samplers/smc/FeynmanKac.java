package dev.ponder.samplers.smc;

import dev.ponder.engine.SearchResult.Candidate;
import java.util.List;

/**
 * A Feynman-Kac model, the one thing the {@link ParticleFilter} sees (the particles library's {@code FeynmanKac};
 * Chopin and Papaspiliopoulos, "An Introduction to Sequential Monte Carlo", 2020, ch. 5): an initial distribution
 * M0, a Markov transition M_t and log-potentials log G_t. The filter targets
 * {@code Q_t(dx_{0:t}) ∝ M0(dx_0) Π_s M_s(x_{s-1}, dx_s) Π_s G_s(x_{0:s})}.
 *
 * <p>A particle {@code P} may hold native memory (a KV row, a latent): the model hands particles out ({@link #m0},
 * {@link #copy}) and takes them back ({@link #release}). A particle that {@link #isDone is done} is absorbing: it
 * is no longer moved, costs nothing and keeps its weight.
 *
 * @param <P> a particle
 */
interface FeynmanKac<P> {

  /** M0: {@code n} initial particles. */
  List<P> m0(int n);

  /** M_t: moves every given (not done) particle one step, in one batched call. */
  void m(int t, List<P> live);

  /** log G_t of every particle just moved, in order. */
  double[] logG(int t, List<P> moved);

  boolean isDone(P particle);

  /** A duplicate for resampling, sharing its history. */
  P copy(P particle);

  void release(P particle);

  long lineage(P particle);

  /** The particle's latest reward r_t, by which the answer is chosen; -infinity before the first. */
  double reward(P particle);

  /**
   * Outcome scores that rank the final particles instead of their latest rewards, one per particle in order and
   * made in one call; null (the default) when the model has no outcome scorer.
   */
  default double[] outcomeScores(List<P> particles) {
    return null;
  }

  Candidate toCandidate(P particle);
}
