package dev.ponder.server;

import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.List;

/**
 * What guides the step-level Countdown searches (step-beam, dvts, mcts), as {@code --step-verifier} names it, for
 * {@code search} and {@code eval} alike: {@code prm} (the process reward model's value of the prefix) or
 * {@code prm+logprob} (the log of that value plus the prefix's log-probability under the policy: PRM value times the
 * prefix's probability, the step-level counterpart of bon's {@code orm+logprob}).
 */
final class StepRanking {
  static final String PRM = "prm";
  static final String PRM_LOGPROB = "prm+logprob";
  private static final List<String> NAMES = List.of(PRM, PRM_LOGPROB);
  private static final List<String> GUIDED = List.of("step-beam", "dvts", "mcts");

  private StepRanking() {
  }

  /**
   * A name outside the two, the option given to a search it does not guide, or prm+logprob without the local
   * policy's log-probabilities, is a usage error.
   */
  static void check(String command, String value, boolean given, String algorithm, boolean remote) {
    if (!NAMES.contains(value)) {
      throw new UsageException(command + ": --step-verifier must be 'prm' or 'prm+logprob', was '" + value + "'");
    }
    if (given && !GUIDED.contains(algorithm)) {
      throw new UsageException(command + ": --step-verifier applies to step-beam, dvts and mcts, not to --algorithm "
          + algorithm + (algorithm.equals("smc") ? " (its particles are already drawn from the policy, so weighting"
          + " them by the policy's probability again would count it twice)" : ""));
    }
    if (value.equals(PRM_LOGPROB) && remote) {
      throw new UsageException(command + ": --step-verifier prm+logprob needs the local policy's log-probabilities,"
          + " not a remote policy");
    }
  }

  /** The scorer {@code value} names over the PRM's. */
  static ProcessScorer<LmHypothesis> scorer(String value, ProcessScorer<LmHypothesis> prm) {
    if (!value.equals(PRM_LOGPROB)) {
      return prm;
    }
    return (hs, ctx) -> BonRanking.addLogScore(prm.score(hs, ctx), hs, LmHypothesis::logProb);
  }
}
