package dev.ponder.samplers;

import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.samplers.auto.AutoSearch;
import dev.ponder.samplers.beam.StepBeamSearch;
import dev.ponder.samplers.beam.TokenBeamSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch.SampleSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.mcts.MctsSearch;
import dev.ponder.samplers.noise.NoiseSearchBuilder.RenoSearch;
import dev.ponder.samplers.noise.NoiseSearchBuilder.SpsaSearch;
import dev.ponder.samplers.noise.NoiseSearchBuilder.ZeroOrderSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch;
import java.util.Objects;

/**
 * The front door: one static factory per algorithm, each returning a builder that validates eagerly.
 *
 * <p>Every algorithm that needs only a process and scorers runs over <em>any</em> {@link GenerativeProcess}: the
 * factories that take just the scorers build a search for {@code run(process)}, and the ones that also take a
 * {@link LanguageModel} or a {@link DiffusionModel} are conveniences that open the model's process for each run.
 *
 * <pre>{@code
 * SearchResult r = Search.sample(policy).samples(8).seed(7)
 *     .budget(Budget.tokens(4_000)).run("numbers: 3 7 25 50 target: 85\n");
 * SearchResult mine = Search.stepBeam(myPrm).n(8).m(4).seed(7).run(myProcess);
 * }</pre>
 */
public final class Search {
  private Search() {
  }

  // ---- over any process -------------------------------------------------------------------------------------

  /** {@code samples} independent runs of any process, ranked by log-probability; no scorer. */
  public static <S> SampleSearch<S> sample() {
    return new SampleSearch<>(null, 1);
  }

  /** Best-of-N over any process: N runs scored by an outcome scorer, one picked by a {@link Selection}. */
  public static <S> BestOfNSearch<S> bestOfN(OutcomeScorer<S> scorer) {
    return new BestOfNSearch<>(null, scorer, 4);
  }

  /** Step-level beam search over any process: keep the best N/M by process score each step, expand each M times. */
  public static <S> StepBeamSearch<S> stepBeam(ProcessScorer<S> prm) {
    return new StepBeamSearch<>(null, prm, false);
  }

  /** Diverse verifier tree search over any process: N/M independent subtrees, each keeping its best child. */
  public static <S> StepBeamSearch<S> dvts(ProcessScorer<S> prm) {
    return new StepBeamSearch<>(null, prm, true);
  }

  /** Particle filtering (SMC) over any process with Feynman-Kac potentials from a process scorer. */
  public static <S> ParticleFilterSearch<S> particleFilter(ProcessScorer<S> scorer) {
    return new ParticleFilterSearch<>(null, scorer);
  }

  /** Monte Carlo tree search over the steps of any process, guided by a process scorer. */
  public static <S> MctsSearch<S> mcts(ProcessScorer<S> prm) {
    return new MctsSearch<>(null, prm);
  }

  /**
   * Compute-optimal search over any process: a probe round scored by {@code scorer}, then what its
   * {@link dev.ponder.samplers.auto.AutoRule} chooses for this prompt (stop, more best-of-N, a process-guided
   * search); the choice and why are in the result's trace.
   */
  public static <S> AutoSearch<S> auto(OutcomeScorer<S> scorer) {
    return new AutoSearch<>(null, scorer);
  }

  // ---- over a language model --------------------------------------------------------------------------------

  /** {@code n} independent samples from the policy, ranked by log-probability; no scorer. */
  public static SampleSearch<LmHypothesis> sample(LanguageModel policy) {
    return new SampleSearch<>(lm(policy), 1);
  }

  /** Token-level beam search, matching Hugging Face transformers' generate(num_beams=N, do_sample=False). */
  public static TokenBeamSearch tokenBeam(LanguageModel policy) {
    return new TokenBeamSearch(Objects.requireNonNull(policy, "policy"));
  }

  /** Best-of-N: N samples scored by an outcome scorer (ORM, rule checker), one picked by a {@link Selection}. */
  public static BestOfNSearch<LmHypothesis> bestOfN(LanguageModel policy, OutcomeScorer<LmHypothesis> scorer) {
    return new BestOfNSearch<>(lm(policy), scorer, 4);
  }

  /**
   * Compute-optimal search over the policy (see {@link #auto(OutcomeScorer)}). Its decoding is whole samples; give
   * one with a line boundary ({@code decoding(...)}) when the rule may choose a step-level search.
   */
  public static AutoSearch<LmHypothesis> auto(LanguageModel policy, OutcomeScorer<LmHypothesis> scorer) {
    return new AutoSearch<>(lm(policy), scorer);
  }

  /** Step-level beam search over lines: keep the best N/M partial solutions by PRM score, expand each M times. */
  public static StepBeamSearch<LmHypothesis> stepBeam(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new StepBeamSearch<>(lmSteps(policy), prm, false);
  }

  /** Diverse verifier tree search over lines: N/M independent subtrees, each keeping its best child each step. */
  public static StepBeamSearch<LmHypothesis> dvts(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new StepBeamSearch<>(lmSteps(policy), prm, true);
  }

  /** Particle filtering (SMC) over lines with Feynman-Kac potentials from a process reward model. */
  public static ParticleFilterSearch<LmHypothesis> particleFilter(LanguageModel policy,
      ProcessScorer<LmHypothesis> prm) {
    return new ParticleFilterSearch<>(lmSteps(policy), prm);
  }

  /** Monte Carlo tree search over lines, guided by a process reward model. */
  public static MctsSearch<LmHypothesis> mcts(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new MctsSearch<>(lmSteps(policy), prm);
  }

  // ---- over a diffusion model or a generator ----------------------------------------------------------------

  /** Unsteered samples from a diffusion model: N (default 8) noise draws denoised together, in draw order. */
  public static SampleSearch<Latent> diffusionSample(DiffusionModel model) {
    return new SampleSearch<>(diffusion(model, DiffusionSampling.ddim(50, 0.0)), 8);
  }

  /** Best-of-N over noise draws of a diffusion model (default 8, DDIM 50 steps, eta 0), optionally pruning part-way. */
  public static BestOfNSearch<Latent> noiseBestOfN(DiffusionModel model, OutcomeScorer<Latent> scorer) {
    return new BestOfNSearch<>(diffusion(model, DiffusionSampling.ddim(50, 0.0)), scorer, 8);
  }

  /**
   * Feynman-Kac steering of a diffusion model toward p(x) exp(lambda r(x)): the particle filter over its denoising
   * steps (default DDIM 50 steps, eta 1).
   */
  public static ParticleFilterSearch<Latent> feynmanKac(DiffusionModel model, ProcessScorer<Latent> reward) {
    return new ParticleFilterSearch<>(diffusion(model, DiffusionSampling.ddim(50, 1.0)), reward);
  }

  /** Reward-guided noise optimization (ReNO): gradient ascent on generator noise through differentiable rewards. */
  public static RenoSearch reno(NoiseGenerator generator, DifferentiableReward reward) {
    return new RenoSearch(generator, reward);
  }

  /** Gradient-free ReNO: the reward's gradient estimated by SPSA from two evaluations per step. */
  public static SpsaSearch spsa(NoiseGenerator generator, NoiseReward reward) {
    return new SpsaSearch(generator, reward);
  }

  /** Zero-order search: hill climbing over noise neighbours at a fixed angle from each pivot. */
  public static ZeroOrderSearch zeroOrder(NoiseGenerator generator, NoiseReward reward) {
    return new ZeroOrderSearch(generator, reward);
  }

  private static <S> ProcessSource<S> lm(LanguageModel policy) {
    Objects.requireNonNull(policy, "policy");
    return ProcessSource.lm(policy, ProcessSource.defaultDecoding(policy));
  }

  /** A language model whose step is one line: stop at a newline, at most 32 tokens. */
  private static <S> ProcessSource<S> lmSteps(LanguageModel policy) {
    Objects.requireNonNull(policy, "policy");
    Decoding perLine = ProcessSource.defaultDecoding(policy).withBoundary(StepBoundary.stopAt(32, "\n"));
    return ProcessSource.lm(policy, perLine);
  }

  private static <S> ProcessSource<S> diffusion(DiffusionModel model, DiffusionSampling sampling) {
    return ProcessSource.diffusion(Objects.requireNonNull(model, "model"), sampling);
  }
}
