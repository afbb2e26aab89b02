package dev.ponder.samplers;

import dev.ponder.engine.DifferentiableReward;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.Objects;

/**
 * The front door: one static factory per algorithm family, each returning a builder that validates eagerly.
 *
 * <pre>{@code
 * SearchResult r = Search.sample(policy).samples(8).seed(7)
 *     .budget(Budget.tokens(4_000)).run("numbers: 3 7 25 50 target: 85\n");
 * }</pre>
 */
public final class Search {
  private Search() {
  }

  /** {@code n} independent samples from the policy, ranked by log-probability; no scorer. */
  public static SampleSearch sample(LanguageModel policy) {
    return new SampleSearch(Objects.requireNonNull(policy, "policy"));
  }

  /** Token-level beam search, matching Hugging Face transformers' generate(num_beams=N, do_sample=False). */
  public static TokenBeamSearch tokenBeam(LanguageModel policy) {
    return new TokenBeamSearch(Objects.requireNonNull(policy, "policy"));
  }

  /** Best-of-N: N samples scored by an outcome scorer (ORM, rule checker), one picked by a {@link Selection}. */
  public static BestOfNSearch bestOfN(LanguageModel policy, OutcomeScorer<LmHypothesis> scorer) {
    return new BestOfNSearch(policy, scorer);
  }

  /** Step-level beam search: keep the best N/M partial solutions by PRM score each step, expand each M times. */
  public static StepBeamSearch stepBeam(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new StepBeamSearch(policy, prm, false);
  }

  /** Diverse verifier tree search: N/M independent subtrees, each keeping its best child each step. */
  public static StepBeamSearch dvts(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new StepBeamSearch(policy, prm, true);
  }

  /** Particle filtering (SMC) with Feynman-Kac potentials from a process reward model. */
  public static ParticleFilterSearch particleFilter(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new ParticleFilterSearch(policy, prm);
  }

  /** Monte Carlo tree search over reasoning steps, guided by a process reward model. */
  public static MctsSearch mcts(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    return new MctsSearch(policy, prm);
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

  /** Unsteered samples from a diffusion model: N noise draws denoised together, in draw order. */
  public static DiffusionBestOfNSearch diffusionSample(DiffusionModel model) {
    return new DiffusionBestOfNSearch(Objects.requireNonNull(model, "model"), null);
  }

  /** Best-of-N over noise draws of a diffusion model, optionally pruning weak draws part-way. */
  public static DiffusionBestOfNSearch noiseBestOfN(DiffusionModel model, OutcomeScorer<Latent> scorer) {
    return new DiffusionBestOfNSearch(Objects.requireNonNull(model, "model"), Objects.requireNonNull(scorer, "scorer"));
  }

  /** Feynman-Kac steering of a diffusion model toward p(x) exp(lambda r(x)) with particle resampling. */
  public static FeynmanKacSearch feynmanKac(DiffusionModel model, ProcessScorer<Latent> reward) {
    return new FeynmanKacSearch(Objects.requireNonNull(model, "model"), reward);
  }
}
