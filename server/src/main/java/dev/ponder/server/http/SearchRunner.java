package dev.ponder.server.http;

import dev.ponder.engine.Budget;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.noise.NoiseSearchBuilder;
import dev.ponder.samplers.noise.NoiseOptimizer;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.onnx.ImageClassifier;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.onnx.OnnxRewardGradient;
import dev.ponder.verifiers.Verifier;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** Turns a {@link SearchSpec} into the library's search on the served models and runs it. */
public final class SearchRunner {
  private static final CountdownChecker CHECKER = CountdownChecker.create();

  private final ModelRegistry models;

  public SearchRunner(ModelRegistry models) {
    this.models = models;
  }

  /** An engine message for a client: model directories replaced by model ids. */
  public String forClient(String message) {
    return models.redactPaths(message);
  }

  /** Checks that the spec fits the model (kind, verifier) before any queueing; throws {@link ApiError}. */
  public void validate(String modelId, SearchSpec spec, boolean hasPrompt) {
    if (spec.startsFromNoise()) {
      models.get(modelId, spec.modelKind(), "model");
      if (hasPrompt) {
        throw ApiError.invalid("prompt", "'" + spec.algorithm() + "' starts from noise drawn from the seed; leave"
            + " 'prompt' out");
      }
      if (spec.algorithm().equals("fk") || spec.algorithm().equals("zero-order")) {
        classifier(spec);
      } else if (spec.algorithm().equals("reno")) {
        rewardGradient(spec);
      }
      return;
    }
    if (models.remote(modelId) != null) {
      if (!hasPrompt) {
        throw ApiError.missing("prompt", "a string: the text to continue");
      }
      RemoteRunner.validate(modelId, spec);
      if (spec.needsOutcomeVerifier()) {
        outcomeVerifier(spec);
      }
      if (spec.needsProcessVerifier()) {
        processVerifier(spec);
      }
      return;
    }
    LanguageModel policy = models.policy(modelId, "model");
    if (!hasPrompt) {
      throw ApiError.missing("prompt", "a string: the text to continue");
    }
    if (spec.algorithm().equals("beam") && spec.n() >= policy.vocabSize()) {
      // The token beam fails inside the engine once the beams reach the vocabulary size (seen with 30 of 30).
      throw ApiError.invalid("n", "'beam' needs fewer beams than the model's vocabulary (" + policy.vocabSize()
          + " tokens), found n=" + spec.n());
    }
    if (spec.needsOutcomeVerifier()) {
      outcomeScorer(spec);
    }
    if (spec.needsProcessVerifier()) {
      processScorer(spec);
    }
  }

  /** Runs the search on this thread; the listener sees every event. */
  public SearchResult run(String modelId, String prompt, SearchSpec spec, SearchListener listener) {
    return run(modelId, prompt, spec, listener, null);
  }

  /**
   * {@link #run(String, String, SearchSpec, SearchListener)}; plain sampling ({@code "sample"}) runs over
   * {@code wrap(process)} when {@code wrap} is given (to watch its text as it is generated; same draws, same result).
   */
  public SearchResult run(String modelId, String prompt, SearchSpec spec, SearchListener listener,
      UnaryOperator<GenerativeProcess<LmHypothesis>> wrap) {
    Budget budget = new Budget(spec.policyTokens(), spec.modelCalls(), spec.verifierCalls(), spec.deadline());
    if (spec.modelKind() == ModelKind.DENOISER) {
      DiffusionModel denoiser = (DiffusionModel) models.get(modelId, ModelKind.DENOISER, "model").model();
      return diffusion(denoiser, spec).budget(budget).seed(spec.seed()).listener(listener).run();
    }
    if (spec.modelKind() == ModelKind.GENERATOR) {
      GeneratorModel generator = (GeneratorModel) models.get(modelId, ModelKind.GENERATOR, "model").model();
      return noise(generator, spec).budget(budget).seed(spec.seed()).listener(listener).run();
    }
    RemoteModel remote = models.remote(modelId);
    if (remote != null) {
      return RemoteRunner.run(modelId, remote, prompt, spec, spec.needsOutcomeVerifier() ? outcomeVerifier(spec) : null,
          spec.needsProcessVerifier() ? processVerifier(spec) : null, listener);
    }
    LanguageModel policy = models.policy(modelId, "model");
    Decoding decoding = decoding(policy, spec);
    if (wrap != null && spec.algorithm().equals("sample")) {
      try (GenerativeProcess<LmHypothesis> process = wrap.apply(policy.process(prompt, decoding))) {
        return Search.sample(policy).samples(spec.n()).budget(budget).seed(spec.seed()).listener(listener)
            .run(process);
      }
    }
    return lm(policy, spec, decoding).budget(budget).seed(spec.seed()).listener(listener).run(prompt);
  }

  static Decoding decoding(LanguageModel policy, SearchSpec spec) {
    int maxNew = spec.maxNewTokens() != null ? spec.maxNewTokens() : policy.defaultMaxNewTokens();
    try {
      return Decoding.sampling().withTemperature(spec.temperature()).withTopK(spec.topK()).withTopP(spec.topP())
          .withMinP(spec.minP()).withMaxNewTokens(maxNew).withStop(spec.stop());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid(null, e.getMessage());
    }
  }

  /** The registry's search (the same names and knobs as eval's and the CLI's) with the request's decoding. */
  private ProcessSearch<?, ?> lm(LanguageModel policy, SearchSpec spec, Decoding decoding) {
    CountdownAlgorithms.Knobs knobs = new CountdownAlgorithms.Knobs(spec.algorithm().equals("greedy") ? 1 : spec.n(),
        spec.m(), spec.lambda(), resampling(spec));
    return CountdownAlgorithms.builder(spec.algorithm(), policy, decoding, knobs, () -> outcomeScorer(spec),
        () -> processScorer(spec));
  }

  private ProcessSearch<?, ?> diffusion(DiffusionModel denoiser, SearchSpec spec) {
    if (spec.algorithm().equals("diffusion-sample")) {
      return Search.diffusionSample(denoiser).samples(spec.n()).sampling(DiffusionSampling.ddim(spec.steps(), 0.0));
    }
    return Search.feynmanKac(denoiser, classifier(spec).onPrediction(spec.targetClass())).particles(spec.n())
        .potential(Potential.DIFFERENCE, spec.lambda()).resampling(resampling(spec))
        .sampling(DiffusionSampling.ddim(spec.steps(), spec.eta()));
  }

  /**
   * ReNO ascends the reward's gradient from {@code n} restarts for {@code steps} iterations (Nesterov SGD, step 5,
   * momentum 0.9, as bench's digits table); zero-order search moves {@code n} chains for {@code steps} rounds,
   * {@code m} neighbours a round at cosine 0.95 around each chain's best noise.
   */
  private NoiseSearchBuilder<?> noise(GeneratorModel generator, SearchSpec spec) {
    if (spec.algorithm().equals("reno")) {
      return Search.reno(generator, rewardGradient(spec).forClass(spec.targetClass())).restarts(spec.n())
          .iterations(spec.steps()).optimizer(NoiseOptimizer.sgdNesterov(5.0, 0.9));
    }
    return Search.zeroOrder(generator, classifier(spec).through(generator, spec.targetClass())).restarts(spec.n())
        .rounds(spec.steps()).neighbours(spec.m()).cosine(0.95);
  }

  private static Resampling resampling(SearchSpec spec) {
    return Resampling.valueOf(spec.resampling().toUpperCase(Locale.ROOT));
  }

  private Verifier outcomeVerifier(SearchSpec spec) {
    if ("checker".equals(spec.verifier())) {
      return CHECKER;
    }
    requireVerifier(spec, ModelKind.ORM, "an outcome reward model id or 'checker' (the Countdown rule checker)");
    return (OnnxOutcomeReward) models.get(spec.verifier(), ModelKind.ORM, "verifier").model();
  }

  private Verifier processVerifier(SearchSpec spec) {
    requireVerifier(spec, ModelKind.PRM, "a process reward model id");
    return (OnnxProcessReward) models.get(spec.verifier(), ModelKind.PRM, "verifier").model();
  }

  private OutcomeScorer<LmHypothesis> outcomeScorer(SearchSpec spec) {
    if ("checker".equals(spec.verifier())) {
      return CHECKER.asOutcomeScorer();
    }
    requireVerifier(spec, ModelKind.ORM, "an outcome reward model id or 'checker' (the Countdown rule checker)");
    return ((OnnxOutcomeReward) models.get(spec.verifier(), ModelKind.ORM, "verifier").model()).asOutcomeScorer();
  }

  private ProcessScorer<LmHypothesis> processScorer(SearchSpec spec) {
    requireVerifier(spec, ModelKind.PRM, "a process reward model id");
    return ((OnnxProcessReward) models.get(spec.verifier(), ModelKind.PRM, "verifier").model()).asProcessScorer();
  }

  private ImageClassifier classifier(SearchSpec spec) {
    requireVerifier(spec, ModelKind.CLASSIFIER, "a digits classifier id");
    return (ImageClassifier) models.get(spec.verifier(), ModelKind.CLASSIFIER, "verifier").model();
  }

  private OnnxRewardGradient rewardGradient(SearchSpec spec) {
    requireVerifier(spec, ModelKind.REWARD_GRADIENT, "a digits reward-gradient id");
    return (OnnxRewardGradient) models.get(spec.verifier(), ModelKind.REWARD_GRADIENT, "verifier").model();
  }

  private void requireVerifier(SearchSpec spec, ModelKind kind, String expected) {
    if (spec.verifier() == null) {
      throw ApiError.missing("verifier", expected + " for algorithm '" + spec.algorithm() + "'; served "
          + kind.label() + " models: " + models.entries().stream().filter(e -> e.kind() == kind)
          .map(ModelRegistry.Entry::id).toList());
    }
  }
}
