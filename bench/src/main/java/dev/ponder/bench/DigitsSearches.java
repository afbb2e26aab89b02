package dev.ponder.bench;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.noise.NoiseOptimizer;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.ResampleSchedule;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.onnx.ImageClassifier;
import dev.ponder.verifiers.onnx.OnnxRewardGradient;
import java.nio.file.Path;
import java.util.List;

/**
 * The digits algorithms, configured as {@code ponder eval --task digits} configures them (server/DigitsEval)
 * with its defaults: DDIM with 50 steps; unsteered and best-of-N deterministic (eta 0), best-of-N ranked by the
 * clean classifier on the final sample; Feynman-Kac with eta 1, difference potentials (lambda 10), systematic
 * resampling at every step when ESS falls under 0.5 N, the classifier read on the x0 prediction; zero-order search
 * over DDIM noise (2 neighbours a round at cosine 0.95); ReNO on the one-step generator through the
 * reward-gradient graph, SGD with Nesterov momentum (lr 5, 0.9).
 *
 * <p>Budgets: samples (bon), particles (fk), rounds (zo), iterations (reno); unsteered ignores it. One intra-op
 * and one inter-op thread per model; the generator and reward-gradient graph are loaded on first use.
 */
final class DigitsSearches implements AutoCloseable {
  static final List<String> ALGORITHMS = List.of("unsteered", "bon", "fk", "zo", "reno");
  private static final int STEPS = 50;

  private final ModelOptions options = ModelOptions.cpu().withThreads(1, 1);
  private final Path models = DecodeInputs.repoRoot().resolve("onnx-models/digits");
  final DiffusionModel denoiser;
  final ImageClassifier classifier;
  private ImageClassifier independent;
  private GeneratorModel generator;
  private OnnxRewardGradient rewardGrad;

  DigitsSearches() {
    this.denoiser = DiffusionModel.load(models.resolve("denoiser"), options);
    this.classifier = ImageClassifier.load(models.resolve("classifier"), options);
  }

  /** The independently trained classifier that judges the images (a steered image may fool only the reward). */
  ImageClassifier independent() {
    if (independent == null) {
      independent = ImageClassifier.load(models.resolve("independent-classifier"), options);
    }
    return independent;
  }

  SearchResult run(String algorithm, int budget, int target, long seed) {
    DiffusionSampling deterministic = DiffusionSampling.ddim(STEPS, 0.0);
    switch (algorithm) {
      case "unsteered":
        return Search.diffusionSample(denoiser).samples(1).sampling(deterministic).seed(seed).run();
      case "bon":
        return Search.noiseBestOfN(denoiser, classifier.onSample(target)).samples(budget).sampling(deterministic)
            .seed(seed).run();
      case "fk":
        return Search.feynmanKac(denoiser, classifier.onPrediction(target)).particles(budget)
            .potential(Potential.DIFFERENCE, 10).resampling(Resampling.SYSTEMATIC).essThreshold(0.5)
            .resampleSchedule(ResampleSchedule.always()).sampling(DiffusionSampling.ddim(STEPS, 1.0)).seed(seed).run();
      case "zo":
        try (DiffusionProcess ddim = denoiser.process(deterministic)) {
          return Search.zeroOrder(ddim, classifier.through(ddim, target)).rounds(budget).neighbours(2).cosine(0.95)
              .seed(seed).run();
        }
      case "reno":
        return Search.reno(generator(), rewardGrad().forClass(target)).iterations(budget)
            .optimizer(NoiseOptimizer.sgdNesterov(5.0, 0.9)).seed(seed).run();
      default:
        throw new IllegalArgumentException("algorithm must be one of " + ALGORITHMS + ", was '" + algorithm + "'");
    }
  }

  /** The reward classifier's and the independent classifier's class for the result's best image. */
  int[] judge(SearchResult r) {
    float[][] x = {r.best().sample()};
    SearchContext ctx = SearchContext.builder().build();
    return new int[] {classifier.classify(x, null, ctx)[0], independent().classify(x, null, ctx)[0]};
  }

  private GeneratorModel generator() {
    if (generator == null) {
      generator = GeneratorModel.load(models.resolve("generator"), options);
    }
    return generator;
  }

  private OnnxRewardGradient rewardGrad() {
    if (rewardGrad == null) {
      rewardGrad = OnnxRewardGradient.load(models.resolve("reward-grad"), options);
    }
    return rewardGrad;
  }

  @Override
  public void close() {
    for (AutoCloseable c : new AutoCloseable[] {rewardGrad, generator, independent, classifier, denoiser}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + c + " failed: " + e.getMessage(), e);
        }
      }
    }
  }
}
