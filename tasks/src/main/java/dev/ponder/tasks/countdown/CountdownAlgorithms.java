package dev.ponder.tasks.countdown;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.samplers.mcts.MctsSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.auto.AutoRule;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import dev.ponder.verifiers.rules.AnswerVerifier;
import dev.ponder.verifiers.Verifiers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one name-to-search registry of the Countdown task: {@code ponder eval}, the server and the benchmarks all
 * build their searches here, so that a name means the same search everywhere (and the recorded tables stay
 * reproducible). Step-level algorithms take one line per step (stop at a newline, at most 32 tokens).
 *
 * <ul>
 *   <li>{@code greedy}: one text at temperature 0; {@code sample}: N samples as decoded, ranked by log-probability;</li>
 *   <li>{@code bon}, {@code weighted-bon}: N samples ranked by the outcome scorer (weighted: summed per answer);</li>
 *   <li>{@code majority}: N samples, the most frequent answer (no scorer);</li>
 *   <li>{@code beam}: token-level beam search with N beams, up to the decoding's {@code maxNewTokens};</li>
 *   <li>{@code step-beam}, {@code dvts}: N live, M children per expansion, PRM-scored;</li>
 *   <li>{@code mcts}: N simulations, M children per expansion, PRM-valued;</li>
 *   <li>{@code smc}: N particles, difference potentials at lambda, the given resampling scheme;</li>
 *   <li>{@code auto}: {@code Search.auto} with {@link #autoRule()}, fitted on the validation split: a probe
 *       scored by the outcome scorer, then stop or continue best-of-N (N from the rule, not the knobs; a
 *       process-guided choice, if the rule has one, runs as {@code step-beam} / {@code smc} here).</li>
 * </ul>
 */
public final class CountdownAlgorithms {
  /** Every name {@link #builder} accepts, in a stable order. */
  public static final List<String> NAMES = List.of("greedy", "sample", "bon", "weighted-bon", "majority", "beam",
      "step-beam", "dvts", "smc", "mcts", "auto");

  /** Search.auto's rule for Countdown: bench/countdown/fit_auto.py's output on the validation split. */
  private static final AutoRule AUTO_RULE = loadAutoRule("auto-rule.txt");
  private static final AutoRule AUTO_RULE_ORM_LOGPROB = loadAutoRule("auto-rule-orm-logprob.txt");

  /** Extracts the final answer of a Countdown solution ({@code answer: 85}). */
  private static final AnswerVerifier ANSWERS = AnswerVerifier.builder().pattern("answer: *(\\S+)").reference("")
      .build();

  private CountdownAlgorithms() {
  }

  /**
   * The knobs a name leaves open.
   *
   * @param n          samples, beams, live hypotheses, particles or simulations
   * @param m          children per expansion (step-beam, dvts, mcts)
   * @param lambda     SMC's inverse temperature
   * @param resampling SMC's resampling scheme
   * @param autoRule   auto's rule ({@link #autoRule()}, the fitted one, unless a caller tries its own)
   * @param rankByOutcome smc and mcts also read the outcome scorer: SMC ranks its final particles by it, MCTS values
   *                   its terminal nodes (and so its answers) by it; otherwise both use the process scorer alone
   */
  public record Knobs(int n, int m, double lambda, Resampling resampling, AutoRule autoRule, boolean rankByOutcome) {
    public Knobs {
      Objects.requireNonNull(resampling, "resampling");
      Objects.requireNonNull(autoRule, "autoRule");
    }

    /** Without outcome ranking for smc and mcts. */
    public Knobs(int n, int m, double lambda, Resampling resampling, AutoRule autoRule) {
      this(n, m, lambda, resampling, autoRule, false);
    }

    /** With the fitted auto rule. */
    public Knobs(int n, int m, double lambda, Resampling resampling) {
      this(n, m, lambda, resampling, AUTO_RULE);
    }

    public Knobs withAutoRule(AutoRule value) {
      return new Knobs(n, m, lambda, resampling, value, rankByOutcome);
    }

    public Knobs withRankByOutcome(boolean value) {
      return new Knobs(n, m, lambda, resampling, autoRule, value);
    }

    /** {@code ponder eval}'s defaults: N = 8, M = 4, lambda 10, systematic resampling. */
    public static Knobs defaults() {
      return new Knobs(8, 4, 10, Resampling.SYSTEMATIC);
    }

    public Knobs withN(int value) {
      return new Knobs(value, m, lambda, resampling, autoRule, rankByOutcome);
    }
  }

  /** Whether the named search ranks with an outcome scorer. */
  public static boolean needsOutcomeScorer(String name) {
    return name.equals("bon") || name.equals("weighted-bon") || name.equals("auto");
  }

  /** Whether the named search reads an outcome scorer when {@link Knobs#rankByOutcome} asks it to. */
  public static boolean canRankByOutcome(String name) {
    return name.equals("smc") || name.equals("mcts");
  }

  /** Whether the named search is guided by a process reward model ({@code auto}: when its fitted rule can choose one). */
  public static boolean needsProcessScorer(String name) {
    return needsProcessScorer(name, AUTO_RULE);
  }

  /** Whether the named search needs a process reward model when {@code auto} runs {@code autoRule}. */
  public static boolean needsProcessScorer(String name, AutoRule autoRule) {
    return List.of("step-beam", "dvts", "smc", "mcts").contains(name)
        || name.equals("auto") && autoRule.needsProcessScorer();
  }

  /** The rule {@code auto} uses, fitted on the validation split (resource {@code auto-rule.txt}). */
  public static AutoRule autoRule() {
    return AUTO_RULE;
  }

  /**
   * The staged rule for {@code auto} over the {@code orm+logprob} score (log of the ORM's score plus the text's
   * log-probability), fitted on the validation split with the mean of orm-cached and orm-v2-cached (resource
   * {@code auto-rule-orm-logprob.txt}, written by bench/countdown/adaptive_stop.py --write).
   */
  public static AutoRule autoRuleOrmLogProb() {
    return AUTO_RULE_ORM_LOGPROB;
  }

  private static AutoRule loadAutoRule(String name) {
    try (InputStream in = CountdownAlgorithms.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the Countdown auto rule (resource dev/ponder/tasks/countdown/" + name
            + ") is missing from the tasks jar");
      }
      return AutoRule.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  /**
   * The named search over {@code policy}, not yet seeded or budgeted.
   *
   * @param decoding sampling knobs and length limit (step-level searches add the line boundary)
   * @param outcome  asked for only when {@link #needsOutcomeScorer} says so
   * @param prm      asked for only when {@link #needsProcessScorer} says so
   * @throws IllegalArgumentException naming the known names when {@code name} is not one
   */
  public static ProcessSearch<LmHypothesis, ?> builder(String name, LanguageModel policy, Decoding decoding,
      Knobs knobs, Supplier<OutcomeScorer<LmHypothesis>> outcome, Supplier<ProcessScorer<LmHypothesis>> prm) {
    Objects.requireNonNull(policy, "policy");
    Function<String, String> answerOf = text -> ANSWERS.extract(text).orElse("");
    Decoding perLine = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
    int n = knobs.n();
    int m = knobs.m();
    return switch (name) {
      case "greedy" -> Search.sample(policy).samples(1).decoding(decoding.withTemperature(0));
      case "sample" -> Search.sample(policy).samples(n).decoding(decoding);
      case "bon" -> Search.bestOfN(policy, outcome.get()).n(n).decoding(decoding);
      case "weighted-bon" -> Search.bestOfN(policy, outcome.get()).n(n).selection(Selection.weighted())
          .answers(answerOf).decoding(decoding);
      case "majority" -> Search.bestOfN(policy, Verifiers.ofText("none", t -> 0.0).asOutcomeScorer()).n(n)
          .selection(Selection.majority()).answers(answerOf).decoding(decoding);
      case "beam" -> Search.tokenBeam(policy).numBeams(n).maxNewTokens(decoding.maxNewTokens());
      case "step-beam" -> Search.stepBeam(policy, prm.get()).n(n).m(m).decoding(perLine);
      case "dvts" -> Search.dvts(policy, prm.get()).n(n).m(m).decoding(perLine);
      case "mcts" -> byOutcome(Search.mcts(policy, prm.get()).simulations(n).children(m).decoding(perLine), knobs,
          outcome);
      case "smc" -> byOutcome(Search.particleFilter(policy, prm.get()).particles(n)
          .potential(Potential.DIFFERENCE, knobs.lambda()).resampling(knobs.resampling()).decoding(perLine), knobs,
          outcome);
      case "auto" -> Search.auto(policy, outcome.get()).rule(knobs.autoRule()).answers(answerOf)
          .guided(c -> overAnyProcess(c.kind().key(), knobs.withN(c.n()), outcome, prm))
          .decoding(knobs.autoRule().needsProcessScorer() ? perLine : decoding);
      default -> throw new IllegalArgumentException("algorithm must be one of " + NAMES + ", was '" + name + "'");
    };
  }

  /** MCTS valuing its terminal nodes by the outcome scorer when {@link Knobs#rankByOutcome} asks for it. */
  private static <S> MctsSearch<S> byOutcome(MctsSearch<S> mcts, Knobs knobs, Supplier<OutcomeScorer<S>> outcome) {
    return knobs.rankByOutcome() ? mcts.outcomeScorer(outcome.get()) : mcts;
  }

  /** SMC ranking its final particles by the outcome scorer when {@link Knobs#rankByOutcome} asks for it. */
  private static <S> ParticleFilterSearch<S> byOutcome(ParticleFilterSearch<S> smc, Knobs knobs,
      Supplier<OutcomeScorer<S>> outcome) {
    return knobs.rankByOutcome() ? smc.outcomeScorer(outcome.get()) : smc;
  }

  /** Whether the named search takes one line per step (the step-level searches). */
  public static boolean stepsByLine(String name) {
    return needsProcessScorer(name); // auto: only when its rule can choose a step-level search
  }

  /**
   * The named search over any process (a remote model's, a user's): the same algorithms and knobs as
   * {@link #builder}, for {@code run(process)}. The process's own decoding applies: open it at temperature 0 for
   * {@code greedy}, with one line per step for the step-level searches ({@link #stepsByLine}).
   *
   * @throws IllegalArgumentException for {@code beam} (token-level beam search needs every next-token
   *                                  distribution, which only an in-process language model gives) and for unknown
   *                                  names
   */
  public static <S> ProcessSearch<S, ?> overAnyProcess(String name, Knobs knobs,
      Supplier<OutcomeScorer<S>> outcome, Supplier<ProcessScorer<S>> prm) {
    Function<String, String> answerOf = text -> ANSWERS.extract(text).orElse("");
    int n = knobs.n();
    int m = knobs.m();
    return switch (name) {
      case "greedy" -> Search.<S>sample().samples(1);
      case "sample" -> Search.<S>sample().samples(n);
      case "bon" -> Search.bestOfN(outcome.get()).n(n);
      case "weighted-bon" -> Search.bestOfN(outcome.get()).n(n).selection(Selection.weighted()).answers(answerOf);
      case "majority" -> Search.bestOfN((OutcomeScorer<S>) (hs, ctx) -> new double[hs.size()]).n(n)
          .selection(Selection.majority()).answers(answerOf);
      case "step-beam" -> Search.stepBeam(prm.get()).n(n).m(m);
      case "dvts" -> Search.dvts(prm.get()).n(n).m(m);
      case "mcts" -> byOutcome(Search.mcts(prm.get()).simulations(n).children(m), knobs, outcome);
      case "smc" -> byOutcome(Search.particleFilter(prm.get()).particles(n)
          .potential(Potential.DIFFERENCE, knobs.lambda()).resampling(knobs.resampling()), knobs, outcome);
      case "auto" -> Search.auto(outcome.get()).rule(knobs.autoRule()).answers(answerOf)
          .guided(c -> overAnyProcess(c.kind().key(), knobs.withN(c.n()), outcome, prm));
      case "beam" -> throw new IllegalArgumentException("algorithm 'beam' (token-level beam search) needs every"
          + " next-token distribution, which only an in-process language model gives; use step-beam over this process");
      default -> throw new IllegalArgumentException("algorithm must be one of " + NAMES + ", was '" + name + "'");
    };
  }
}
