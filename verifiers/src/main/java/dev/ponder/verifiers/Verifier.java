package dev.ponder.verifiers;

import dev.ponder.verifiers.internal.LmScorer;
import dev.ponder.verifiers.internal.Scores;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.List;

/**
 * Scores generated texts: a rule checker, a reward model, an ensemble of them. Higher is better.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #score} returns one value per input, in order, from one batched call per list (a model-backed
 *       verifier makes one model call per list, never one per input);</li>
 *   <li>a verifier that calls a model or runs a rule adds {@code 1} to the context's verifier calls per list and the
 *       tokens it read to its verifier tokens; wrappers (ensembles, caches) add nothing themselves;</li>
 *   <li>a score may be {@code NaN} or infinite only from a broken verifier: every consumer in this module (the
 *       search adapters, ensembles, normalizers and the cache) rejects such a score with a
 *       {@link BadScoreException} naming the verifier and the input, unless {@link Verifiers#withBadScorePolicy}
 *       maps it explicitly;</li>
 *   <li>implementations are thread-safe: several searches may score through one verifier at once.</li>
 * </ul>
 */
public interface Verifier {

  /** A short name for errors, events and statistics, e.g. {@code "countdown"} or {@code "orm"}. */
  String name();

  /** One score per input, in the order given. */
  double[] score(List<VerifierInput> inputs, SearchContext ctx);

  /**
   * This verifier as a search's outcome scorer over language-model hypotheses: each finished hypothesis is read
   * as {@link VerifierInput#of(LmHypothesis)}. Non-finite scores are rejected with a {@link BadScoreException}.
   */
  default OutcomeScorer<LmHypothesis> asOutcomeScorer() {
    return new LmScorer(this);
  }

  /** This verifier as a search's process scorer over partial language-model hypotheses (see {@link #asOutcomeScorer}). */
  default ProcessScorer<LmHypothesis> asProcessScorer() {
    return new LmScorer(this);
  }
}
