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
import dev.ponder.engine.diffusion.DiffusionSampling;
import dev.ponder.engine.diffusion.GeneratorModel;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.Potential;
import dev.ponder.samplers.ResampleSchedule;
import dev.ponder.samplers.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.ImageClassifier;
import dev.ponder.verifiers.OnnxRewardGradient;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code ponder eval --task digits --target-class K --count C --algorithm ALG --seed S --out OUT.jsonl}: makes C
 * digit images steered toward class K, one independent search per image (image i uses seed S + 1000 K + i, so that
 * runs for different classes start from different noise), and writes one JSON line per image plus a PNG grid. Every
 * image is judged by the reward classifier and by an independently trained classifier (a steered sample that only
 * fools the reward model shows up as a disagreement).
 */
final class DigitsEvalCommand {
  static final String USAGE = """
      ponder eval --task digits --target-class K --count C --algorithm ALG --seed S --out OUT.jsonl
                  [--particles N] [--steps T] [--eta E] [--lambda L] [--potential P] [--resampling SCHEME]
                  [--kappa K] [--resample-every K] [--resample-from STEP] [--resample-to STEP]
                  [--fk-reward x0|noisy|x0-samples] [--x0-draws K] [--x0-spread S]
                  [--rounds R] [--neighbours M] [--cosine C]
                  [--iterations I] [--lr LR] [--budget-calls B] [--png FILE] [--models DIR] [--threads N]
        ALG: unsteered (one DDIM sample); bon (best of --particles DDIM samples by the classifier); zo (zero-order
        search over DDIM noise: --rounds x --neighbours at --cosine); fk (Feynman-Kac steering with --particles
        particles, DDIM eta --eta; the intermediate reward reads the x0 prediction, the noisy state with the
        noise-aware classifier, or log-mean-exp over --x0-draws draws x0_hat + S sqrt(1 - abar_t) eps); reno (noise
        optimization of the one-step generator through the reward-gradient graph, --iterations, --lr); spsa (the
        same with the gradient estimated by SPSA from the classifier alone, no gradient graph).
        Each line: id, target_class, pixels (64 values, sklearn's 0..16 scale), reward (log p(K | image) by the
        reward classifier), model_calls (all ONNX calls: denoiser or generator plus
        reward model), wall_ms, and the two classifiers' verdicts.""";

  static final Set<String> ALGORITHMS = Set.of("unsteered", "bon", "zo", "fk", "reno", "spsa");
  private static final ObjectMapper JSON = new ObjectMapper();

  private DigitsEvalCommand() {
  }

  /** The settings of one eval run. */
  private record Settings(int target, int particles, int steps, double eta, double lambda, Potential potential,
      Resampling resampling, double kappa, ResampleSchedule schedule, String fkReward, int x0Draws, double x0Spread,
      int rounds, int neighbours, double cosine,
      int iterations, double lr, long budgetCalls) {}

  static int run(List<String> argv, PrintStream out, PrintStream err) {
    Args a = new Args("eval", argv);
    a.required("task");
    String algorithm = a.required("algorithm");
    int target = a.integer("target-class", -1);
    int count = a.integer("count", 10);
    long seed = a.longValue("seed", 0);
    Path outFile = Path.of(a.required("out"));
    Settings s = new Settings(target, a.integer("particles", 8), a.integer("steps", 50), a.decimal("eta", 1.0),
        a.decimal("lambda", 10), parse(Potential.class, "potential", a.text("potential", "difference")),
        parse(Resampling.class, "resampling", a.text("resampling", "systematic")), a.decimal("kappa", 0.5),
        schedule(a),
        a.text("fk-reward", "x0"), a.integer("x0-draws", 4), a.decimal("x0-spread", 0.2), a.integer("rounds", 4),
        a.integer("neighbours", 2), a.decimal("cosine", 0.95),
        a.integer("iterations", 50), a.decimal("lr", 5.0), a.longValue("budget-calls", Long.MAX_VALUE));
    Path png = Path.of(a.text("png", outFile.toString().replaceAll("\\.jsonl$", "") + ".png"));
    Path models = Path.of(a.text("models", "onnx-models/digits"));
    int threads = a.integer("threads", 0);
    a.rejectUnknown();
    if (!ALGORITHMS.contains(algorithm)) {
      throw new Args.UsageException("eval: --algorithm for digits must be one of " + ALGORITHMS.stream().sorted().toList()
          + ", was '" + algorithm + "'");
    }
    if (target < 0 || target > 9) {
      throw new Args.UsageException("eval: --target-class must be a digit 0..9, was " + (target < 0 ? "missing" : target));
    }
    if (count < 1) {
      throw new Args.UsageException("eval: --count must be >= 1, was " + count);
    }
    if (!Set.of("x0", "noisy", "x0-samples").contains(s.fkReward())) {
      throw new Args.UsageException("eval: --fk-reward must be x0, noisy or x0-samples, was '" + s.fkReward() + "'");
    }
    ModelOptions options = ModelOptions.cpu().withThreads(threads, 0);
    List<float[]> images = new ArrayList<>();
    int hits = 0;
    int independentHits = 0;
    double sumP = 0;
    long calls = 0;
    double wallMs = 0;
    try (DiffusionModel denoiser = DiffusionModel.load(models.resolve("denoiser"), options);
         ImageClassifier classifier = ImageClassifier.load(models.resolve("classifier"), options);
         ImageClassifier independent = ImageClassifier.load(models.resolve("independent-classifier"), options);
         ImageClassifier noisy = s.fkReward().equals("noisy")
             ? ImageClassifier.load(models.resolve("noisy-classifier"), options) : null;
         GeneratorModel generator = algorithm.equals("reno") || algorithm.equals("spsa")
             ? GeneratorModel.load(models.resolve("generator"), options) : null;
         OnnxRewardGradient rewardGrad = algorithm.equals("reno")
             ? OnnxRewardGradient.load(models.resolve("reward-grad"), options) : null;
         BufferedWriter w = Files.newBufferedWriter(outFile, StandardCharsets.UTF_8)) {
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
        err.printf(Locale.ROOT, "[%d/%d] class %d (independent %d)  p(target)=%.3f  target rate so far %.3f%n", i + 1,
            count, cls, ind, Math.exp(logP[target]), hits / (double) (i + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("eval: cannot write " + outFile + ": " + e.getMessage(), e);
    }
    PngGrid.write(images, 10, 4, png);
    out.printf(Locale.ROOT, "eval digits algorithm=%s target=%d count=%d seed=%d target_rate=%.3f (%d/%d)"
            + " independent_target_rate=%.3f (%d/%d) mean_p_target=%.3f model_calls/sample=%.1f wall_ms/sample=%.1f"
            + " png=%s%n", algorithm, target, count, seed, hits / (double) count, hits, count,
        independentHits / (double) count, independentHits, count, sumP / count, calls / (double) count,
        wallMs / count, png);
    return 0;
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
            .optimizer(dev.ponder.samplers.NoiseOptimizer.sgdNesterov(s.lr(), 0.9)).budget(budget).seed(seed).run();
      default:
        return Search.reno(generator, rewardGrad.forClass(s.target())).iterations(s.iterations())
            .optimizer(dev.ponder.samplers.NoiseOptimizer.sgdNesterov(s.lr(), 0.9)).budget(budget).seed(seed).run();
    }
  }

  private static ProcessScorer<Latent> fkReward(Settings s, DiffusionModel denoiser, ImageClassifier classifier,
      ImageClassifier noisy) {
    switch (s.fkReward()) {
      case "noisy":
        return noisy.onNoisySample(s.target());
      case "x0-samples":
        return classifier.onPredictionSamples(s.target(), s.x0Draws(), s.x0Spread(), denoiser.schedule()::alphaCumprod);
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
  private static ResampleSchedule schedule(Args a) {
    int every = a.integer("resample-every", 1);
    int from = a.integer("resample-from", 0);
    int to = a.integer("resample-to", Integer.MAX_VALUE);
    try {
      return ResampleSchedule.every(every).between(from, to);
    } catch (IllegalArgumentException e) {
      throw new Args.UsageException("eval: " + e.getMessage());
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
      throw new Args.UsageException("eval: --" + option + " must be one of " + names + ", was '" + value + "'");
    }
  }
}
