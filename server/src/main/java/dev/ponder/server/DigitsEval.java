package dev.ponder.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.Budget;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.ResampleSchedule;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.onnx.ImageClassifier;
import dev.ponder.verifiers.onnx.OnnxRewardGradient;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * {@code ponder eval --task digits}: makes C digit images steered toward class K, one independent search per image
 * (image i uses seed S + 1000 K + i, so that runs for different classes start from different noise), and writes
 * one JSON line per image plus a PNG grid. Every image is judged by the reward classifier and by an independently
 * trained classifier (a steered sample that only fools the reward model shows up as a disagreement).
 */
final class DigitsEval {
  /** The options of {@code --task digits}. */
  static final class Options {
    @Option(names = "--target-class", paramLabel = "K", description = "(digits) The digit 0..9 to steer toward.")
    Integer targetClass;

    @Option(names = "--count", paramLabel = "C", defaultValue = "10", description = "(digits) Images to make.")
    int count;

    @Option(names = "--particles", paramLabel = "N", defaultValue = "8", description = "(digits) Particles (fk) or"
        + " samples (bon).")
    int particles;

    @Option(names = "--steps", paramLabel = "T", defaultValue = "50", description = "(digits) DDIM steps.")
    int steps;

    @Option(names = "--eta", paramLabel = "E", defaultValue = "1.0", description = "(digits) DDIM eta of fk.")
    double eta;

    @Option(names = "--potential", paramLabel = "P", defaultValue = "difference", description = "(digits) fk's"
        + " potential: difference, max, sum or current.")
    String potential;

    @Option(names = "--kappa", paramLabel = "K", defaultValue = "0.5", description = "(digits) Resample when ESS <"
        + " kappa N.")
    double kappa;

    @Option(names = "--resample-every", paramLabel = "K", defaultValue = "1", description = "(digits) Resample"
        + " every K steps...")
    int resampleEvery;

    @Option(names = "--resample-from", paramLabel = "STEP", defaultValue = "0", description = "(digits) ...from"
        + " this step...")
    int resampleFrom;

    @Option(names = "--resample-to", paramLabel = "STEP", description = "(digits) ...to this step (default: the"
        + " last).")
    Integer resampleTo;

    @Option(names = "--fk-reward", paramLabel = "R", defaultValue = "x0", description = "(digits) fk's intermediate"
        + " reward: x0 (the classifier on the x0 prediction), noisy (the noise-aware classifier on the state) or"
        + " x0-samples (log-mean-exp over --x0-draws draws around the x0 prediction).")
    String fkReward;

    @Option(names = "--x0-draws", paramLabel = "K", defaultValue = "4", description = "(digits) Draws of"
        + " x0-samples.")
    int x0Draws;

    @Option(names = "--x0-spread", paramLabel = "S", defaultValue = "0.2", description = "(digits) Their spread:"
        + " x0_hat + S sqrt(1 - abar_t) eps.")
    double x0Spread;

    @Option(names = "--rounds", paramLabel = "R", defaultValue = "4", description = "(digits) zo's rounds.")
    int rounds;

    @Option(names = "--neighbours", paramLabel = "M", defaultValue = "2", description = "(digits) zo's neighbours"
        + " per round.")
    int neighbours;

    @Option(names = "--cosine", paramLabel = "C", defaultValue = "0.95", description = "(digits) zo's cosine"
        + " between a pivot and its neighbours.")
    double cosine;

    @Option(names = "--iterations", paramLabel = "I", defaultValue = "50", description = "(digits) reno's and"
        + " spsa's iterations.")
    int iterations;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "5.0", description = "(digits) reno's and spsa's"
        + " learning rate.")
    double lr;

    @Option(names = "--budget-calls", paramLabel = "B", description = "(digits) Model calls per image (default: no"
        + " limit).")
    Long budgetCalls;

    @Option(names = "--png", paramLabel = "FILE", description = "(digits) The PNG grid (default: --out with .png).")
    Path png;

    @Option(names = "--models", paramLabel = "DIR", defaultValue = "onnx-models/digits", description = "(digits)"
        + " The digits models.")
    Path models;
  }

  static final Set<String> ALGORITHMS = Set.of("unsteered", "bon", "zo", "fk", "reno", "spsa");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The settings of one eval run. */
  private record Settings(int target, int particles, int steps, double eta, double lambda, Potential potential,
      Resampling resampling, double kappa, ResampleSchedule schedule, String fkReward, int x0Draws, double x0Spread,
      int rounds, int neighbours, double cosine,
      int iterations, double lr, long budgetCalls) {}

  private final EvalCommand e;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean terminal;

  DigitsEval(EvalCommand command, PrintStream out, PrintStream err, boolean terminal) {
    this.e = command;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
  }

  int run() {
    Options o = e.digits;
    String algorithm = e.algorithm;
    int target = o.targetClass == null ? -1 : o.targetClass;
    int count = o.count;
    long seed = e.seed;
    Path outFile = e.out;
    Settings s = new Settings(target, o.particles, o.steps, o.eta, e.lambda,
        parse(Potential.class, "potential", o.potential), parse(Resampling.class, "resampling", e.resampling),
        o.kappa, schedule(o), o.fkReward, o.x0Draws, o.x0Spread, o.rounds, o.neighbours, o.cosine, o.iterations,
        o.lr, o.budgetCalls == null ? Long.MAX_VALUE : o.budgetCalls);
    Path png = o.png != null ? o.png : Path.of(outFile.toString().replaceAll("\\.jsonl$", "") + ".png");
    Path models = o.models;
    int threads = e.threads;
    if (!ALGORITHMS.contains(algorithm)) {
      throw new UsageException("eval: --algorithm for digits must be one of " + ALGORITHMS.stream().sorted().toList()
          + ", was '" + algorithm + "'");
    }
    if (target < 0 || target > 9) {
      throw new UsageException("eval: --target-class must be a digit 0..9, was " + (target < 0 ? "missing" : target));
    }
    if (count < 1) {
      throw new UsageException("eval: --count must be >= 1, was " + count);
    }
    if (!Set.of("x0", "noisy", "x0-samples").contains(s.fkReward())) {
      throw new UsageException("eval: --fk-reward must be x0, noisy or x0-samples, was '" + s.fkReward() + "'");
    }
    ModelOptions options = ModelOptions.cpu().withThreads(threads, 0);
    List<float[]> images = new ArrayList<>();
    int hits = 0;
    int independentHits = 0;
    double sumP = 0;
    long calls = 0;
    double wallMs = 0;
    try (BufferedWriter w = OutFile.open("eval", outFile);
         DiffusionModel denoiser = load(models, "denoiser", d -> DiffusionModel.load(d, options));
         ImageClassifier classifier = load(models, "classifier", d -> ImageClassifier.load(d, options));
         ImageClassifier independent = load(models, "independent-classifier", d -> ImageClassifier.load(d, options));
         ImageClassifier noisy = s.fkReward().equals("noisy")
             ? load(models, "noisy-classifier", d -> ImageClassifier.load(d, options)) : null;
         GeneratorModel generator = algorithm.equals("reno") || algorithm.equals("spsa")
             ? load(models, "generator", d -> GeneratorModel.load(d, options)) : null;
         OnnxRewardGradient rewardGrad = algorithm.equals("reno")
             ? load(models, "reward-grad", d -> OnnxRewardGradient.load(d, options)) : null;
         Progress progress = new Progress(err, count, terminal)) {
      for (int i = 0; i < count; i++) {
        long imageSeed = seed + 1000L * target + i;
        SearchResult r = search(algorithm, s, imageSeed, denoiser, classifier, noisy, generator, rewardGrad);
        float[] x = r.best().sample();
        SearchContext judge = SearchContext.builder().build();
        double[] logP = classifier.logProbabilities(new float[][] {x}, null, judge)[0];
        int cls = argmax(logP);
        int ind = independent.classify(new float[][] {x}, null, judge)[0];
        hits += cls == target ? 1 : 0;
        independentHits += ind == target ? 1 : 0;
        sumP += Math.exp(logP[target]);
        long modelCalls = r.stats().modelCalls() + r.stats().verifierCalls();
        calls += modelCalls;
        wallMs += r.stats().wallNanos() / 1e6;
        images.add(x);
        w.write(JSON.writeValueAsString(line(i, target, x, logP, cls, ind, r, modelCalls)));
        w.newLine();
        progress.step(i + 1, String.format(Locale.ROOT, "class %d (independent %d)  p(target)=%.3f  target rate"
            + " so far %.3f", cls, ind, Math.exp(logP[target]), hits / (double) (i + 1)));
      }
    } catch (IOException x) {
      throw OutFile.failed("eval", outFile, x);
    }
    PngGrid.write(images, 10, 4, png);
    out.printf(Locale.ROOT, "eval digits algorithm=%s target=%d count=%d seed=%d target_rate=%.3f (%d/%d)"
            + " independent_target_rate=%.3f (%d/%d) mean_p_target=%.3f model_calls/sample=%.1f wall_ms/sample=%.1f"
            + " png=%s%n", algorithm, target, count, seed, hits / (double) count, hits, count,
        independentHits / (double) count, independentHits, count, sumP / count, calls / (double) count,
        wallMs / count, png);
    return 0;
  }

  /** One model of the --models folder, a failure naming its path and cause. */
  private static <T> T load(Path models, String name, java.util.function.Function<Path, T> loader) {
    Path dir = models.resolve(name);
    return Models.load("eval", "--models", dir, () -> loader.apply(dir));
  }

  private static SearchResult search(String algorithm, Settings s, long seed, DiffusionModel denoiser,
      ImageClassifier classifier, ImageClassifier noisy, GeneratorModel generator, OnnxRewardGradient rewardGrad) {
    Budget budget = Budget.unlimited();
    if (s.budgetCalls() != Long.MAX_VALUE) {
      budget = budget.withModelCalls(s.budgetCalls());
    }
    DiffusionSampling deterministic = DiffusionSampling.ddim(s.steps(), 0.0);
    switch (algorithm) {
      case "unsteered":
        return Search.diffusionSample(denoiser).samples(1).sampling(deterministic).budget(budget).seed(seed).run();
      case "bon":
        return Search.noiseBestOfN(denoiser, classifier.onSample(s.target())).samples(s.particles())
            .sampling(deterministic).budget(budget).seed(seed).run();
      case "fk":
        return Search.feynmanKac(denoiser, fkReward(s, denoiser, classifier, noisy)).particles(s.particles())
            .potential(s.potential(), s.lambda()).resampling(s.resampling()).essThreshold(s.kappa())
            .resampleSchedule(s.schedule()).sampling(DiffusionSampling.ddim(s.steps(), s.eta()))
            .budget(budget).seed(seed).run();
      case "zo": {
        try (DiffusionProcess ddim = denoiser.process(deterministic)) {
          return Search.zeroOrder(ddim, classifier.through(ddim, s.target())).rounds(s.rounds())
              .neighbours(s.neighbours()).cosine(s.cosine()).budget(budget).seed(seed).run();
        }
      }
      case "spsa":
        return Search.spsa(generator, classifier.through(generator, s.target())).iterations(s.iterations())
            .optimizer(dev.ponder.samplers.noise.NoiseOptimizer.sgdNesterov(s.lr(), 0.9)).budget(budget).seed(seed).run();
      default:
        return Search.reno(generator, rewardGrad.forClass(s.target())).iterations(s.iterations())
            .optimizer(dev.ponder.samplers.noise.NoiseOptimizer.sgdNesterov(s.lr(), 0.9)).budget(budget).seed(seed).run();
    }
  }

  private static ProcessScorer<Latent> fkReward(Settings s, DiffusionModel denoiser, ImageClassifier classifier,
      ImageClassifier noisy) {
    switch (s.fkReward()) {
      case "noisy":
        return noisy.onNoisySample(s.target());
      case "x0-samples":
        return classifier.onPredictionSamples(s.target(), s.x0Draws(), s.x0Spread(), denoiser::alphaCumprod);
      default:
        return classifier.onPrediction(s.target());
    }
  }

  private static ObjectNode line(int i, int target, float[] x, double[] logP, int cls, int ind, SearchResult r,
      long modelCalls) {
    ObjectNode line = JSON.createObjectNode();
    line.put("id", "digits-" + target + "-" + i);
    line.put("target_class", target);
    ArrayNode pixels = line.putArray("pixels");
    for (float v : x) {
      // The model's [-1, 1] back to sklearn's digits scale: x = v / 8 - 1, clipped to [0, 16].
      pixels.add(Math.round(Math.max(0, Math.min(16, (v + 1) * 8)) * 1000) / 1000.0);
    }
    line.put("reward", logP[target]);
    line.put("model_calls", modelCalls);
    line.put("wall_ms", Math.round(r.stats().wallNanos() / 1e6 * 10) / 10.0);
    line.put("policy_calls", r.stats().modelCalls());
    line.put("reward_calls", r.stats().verifierCalls());
    line.put("classified_as", cls);
    line.put("independent_class", ind);
    line.put("outcome", r.outcome().name());
    return line;
  }

  /** Resampling every --resample-every steps from --resample-from to --resample-to (default: every step). */
  private static ResampleSchedule schedule(Options o) {
    int every = o.resampleEvery;
    int from = o.resampleFrom;
    int to = o.resampleTo == null ? Integer.MAX_VALUE : o.resampleTo;
    try {
      return ResampleSchedule.every(every).between(from, to);
    } catch (IllegalArgumentException e) {
      throw new UsageException("eval: " + e.getMessage());
    }
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int k = 1; k < v.length; k++) {
      if (v[k] > v[best]) {
        best = k;
      }
    }
    return best;
  }

  private static <E extends Enum<E>> E parse(Class<E> type, String option, String value) {
    try {
      return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new UsageException("eval: --" + option + " must be one of " + names + ", was '" + value + "'");
    }
  }
}
