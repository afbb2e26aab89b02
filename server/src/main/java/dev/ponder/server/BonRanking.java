package dev.ponder.server;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.samplers.auto.AutoRule;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.tasks.countdown.TargetSwapCheck;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * What ranks the outcome-scored Countdown searches, as {@code --verifier} names it, for {@code search} and
 * {@code eval} alike: {@code orm} (the outcome reward model), {@code checker} (the rule checker), and for bon and auto
 * with a local policy {@code logprob} (the text's log-probability), {@code orm+logprob} (ORM score times the text's
 * probability) or {@code orm+logprob+swap} (that, plus {@link TargetSwapCheck}: the policy's check of the last
 * result under a swapped target). Also which bundled {@code auto} rule fits which score.
 */
final class BonRanking {
  static final String LOGPROB = "logprob";
  static final String ORM_LOGPROB = "orm+logprob";
  static final String ORM_LOGPROB_SWAP = "orm+logprob+swap";
  private static final List<String> NAMES = List.of("orm", "checker", LOGPROB, ORM_LOGPROB, ORM_LOGPROB_SWAP);

  private BonRanking() {
  }

  /** A name outside the four is a usage error. */
  static void checkName(String command, String verifier) {
    if (!NAMES.contains(verifier)) {
      throw new UsageException(command + ": --verifier must be 'orm' (the trained outcome reward model), 'checker'"
          + " (the Countdown rule checker, an exact verifier), 'logprob', 'orm+logprob' or 'orm+logprob+swap', was '"
          + verifier + "'");
    }
  }

  /**
   * The log-probability rankings rank the samples of bon and auto (whose staged best-of-N reads the same score), and
   * need the local policy's log-probabilities.
   */
  static void checkUse(String command, String verifier, String algorithm, boolean remote) {
    if (byLogProb(verifier) && !List.of("bon", "auto", "smc", "mcts").contains(algorithm)) {
      throw new UsageException(command + ": --verifier " + verifier + " ranks the samples of bon, auto, smc and"
          + " mcts, not --algorithm " + algorithm);
    }
    if (byLogProb(verifier) && remote) {
      throw new UsageException(command + ": --verifier " + verifier + " needs the local policy's log-probabilities,"
          + " not a remote policy");
    }
  }

  /**
   * The rule {@code auto} runs: the caller's ({@code given}, may be null), else the bundled one fitted to the
   * ranking's score scale (orm: {@code auto-rule.txt}; orm+logprob: the staged {@code auto-rule-orm-logprob.txt}).
   * The checker's and logprob's scores have no fitted rule: a rule fitted to another score would read thresholds
   * on the wrong scale, so auto with them needs the caller's rule.
   */
  static AutoRule autoRule(String command, String verifier, AutoRule given) {
    if (given != null) {
      return given;
    }
    return switch (verifier) {
      case "orm" -> CountdownAlgorithms.autoRule();
      case ORM_LOGPROB -> CountdownAlgorithms.autoRuleOrmLogProb();
      default -> throw new UsageException(command + ": --algorithm auto has bundled rules for --verifier orm and"
          + " orm+logprob, not for " + verifier + (command.equals("eval") ? "; give one fitted to its score with"
          + " --auto-rule FILE" : "; eval --auto-rule FILE runs a rule of your own"));
    };
  }

  /** Whether the ranking reads an ORM's score. */
  static boolean readsOrm(String verifier) {
    return verifier.equals("orm") || verifier.equals(ORM_LOGPROB) || verifier.equals(ORM_LOGPROB_SWAP);
  }

  private static boolean byLogProb(String verifier) {
    return verifier.equals(LOGPROB) || verifier.equals(ORM_LOGPROB) || verifier.equals(ORM_LOGPROB_SWAP);
  }

  /**
   * The scorer {@code verifier} names; {@code orm} is null when none was loaded (the rule checker, or an algorithm
   * that ranks nothing by an outcome score), and then the checker scores. {@code orm+logprob+swap} adds
   * {@link TargetSwapCheck}'s score over {@code policy} to {@code orm+logprob}'s.
   */
  static OutcomeScorer<LmHypothesis> scorer(String verifier, OutcomeScorer<LmHypothesis> orm,
      CountdownChecker checker, LanguageModel policy) {
    if (verifier.equals(LOGPROB)) {
      return (hs, ctx) -> hs.stream().mapToDouble(LmHypothesis::logProb).toArray();
    }
    if (orm == null) {
      return checker.asOutcomeScorer();
    }
    if (verifier.equals(ORM_LOGPROB_SWAP)) {
      OutcomeScorer<LmHypothesis> both = timesLikelihood(orm, LmHypothesis::logProb);
      TargetSwapCheck swap = new TargetSwapCheck(policy);
      return (hs, ctx) -> {
        double[] s = both.score(hs, ctx);
        double[] t = swap.score(hs, ctx);
        for (int i = 0; i < s.length; i++) {
          s[i] += t[i];
        }
        return s;
      };
    }
    return verifier.equals(ORM_LOGPROB) ? timesLikelihood(orm, LmHypothesis::logProb) : orm;
  }

  /**
   * {@code log(score) + logProb}: ranks by the outcome score times the text's probability under the policy. A score
   * at or below 0 counts as the smallest positive double (log about -744), not as NaN; scores are meant to be
   * probabilities, as the ORMs' and their mean and min are.
   */
  static <S> OutcomeScorer<S> timesLikelihood(OutcomeScorer<S> outcome, ToDoubleFunction<S> logProb) {
    return (hs, ctx) -> addLogScore(outcome.score(hs, ctx), hs, logProb);
  }

  /** {@code log(max(s[i], MIN_VALUE)) + logProb(hs[i])} for each i: a score times the hypothesis's probability. */
  static <S> double[] addLogScore(double[] s, List<S> hs, ToDoubleFunction<S> logProb) {
    double[] out = new double[s.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.log(Math.max(s[i], Double.MIN_VALUE)) + logProb.applyAsDouble(hs.get(i));
    }
    return out;
  }
}
