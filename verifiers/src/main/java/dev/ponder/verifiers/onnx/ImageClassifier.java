package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.internal.Scores;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.onnx.TensorSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * An image classifier used as a reward: {@code r(x) = log p(target | x)} (log-softmax of its logits). Two kinds of
 * export are accepted, told apart by their inputs:
 *
 * <ul>
 *   <li>clean: {@code image} float32 [B, D] -> {@code logits} float32 [B, K];</li>
 *   <li>noise-aware: {@code sample} float32 [B, D] and {@code timestep} int64 [B] -> {@code logits} [B, K], trained
 *       on x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps; it scores a diffusion state where it is.</li>
 * </ul>
 *
 * <p>The scorers it hands out read different parts of a {@link Latent}: {@link #onPrediction} the denoiser's x0
 * prediction (Tweedie's estimate, the final sample once terminal), {@link #onNoisySample} the noisy state and its
 * timestep (noise-aware exports only), {@link #onPredictionSamples} a log-mean-exp over several x0 draws around the
 * prediction. Every batch is one model call, counted as one verifier call and B verifier tokens (rows).
 *
 * <p>Thread-safe; {@link #close()} is idempotent and waits for calls in flight.
 */
public final class ImageClassifier implements AutoCloseable {
  private final OnnxModel model;
  private final boolean noiseAware;
  private final int dimension;
  private final int classes;

  private ImageClassifier(OnnxModel model, boolean noiseAware, int dimension, int classes) {
    this.model = model;
    this.noiseAware = noiseAware;
    this.dimension = dimension;
    this.classes = classes;
  }

  /**
   * Loads {@code dir/model.onnx}.
   *
   * @throws IllegalArgumentException when the directory or file is missing
   * @throws dev.ponder.engine.model.ModelContractException when the inputs or outputs break both contracts
   */
  public static ImageClassifier load(Path dir) {
    return load(dir, ModelOptions.cpu());
  }

  public static ImageClassifier load(Path dir, ModelOptions options) {
    return load(ModelDir.open(dir, "model.onnx"), options);
  }

  /** Loads {@code model.onnx} from any source (a directory, the classpath, a URL). */
  public static ImageClassifier load(ModelSource source, ModelOptions options) {
    return load(ModelDir.open(source), options);
  }

  private static ImageClassifier load(ModelDir files, ModelOptions options) {
    OnnxModel model = files.model(Objects.requireNonNull(options, "options"));
    try {
      boolean noiseAware = model.inputs().containsKey("timestep");
      ModelContract contract = ModelContract.of(noiseAware ? "noise-aware image classifier" : "image classifier");
      if (noiseAware) {
        contract.input(TensorSpec.float32("sample", 2)).input(TensorSpec.int64("timestep", 1));
      } else {
        contract.input(TensorSpec.float32("image", 2));
      }
      contract.output(TensorSpec.float32("logits", 2)).verify(model);
      int d = fixedDim(model, noiseAware ? "sample" : "image", model.inputs().get(noiseAware ? "sample" : "image").getShape());
      int k = fixedDim(model, "logits", model.outputs().get("logits").getShape());
      return new ImageClassifier(model, noiseAware, d, k);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static int fixedDim(OnnxModel model, String name, long[] shape) {
    long last = shape[shape.length - 1];
    if (last < 1) {
      throw new dev.ponder.engine.model.ModelContractException(model.file() + ": '" + name
          + "' must have a fixed last dimension, found " + java.util.Arrays.toString(shape));
    }
    return Math.toIntExact(last);
  }

  public boolean noiseAware() {
    return noiseAware;
  }

  /** Pixels per image. */
  public int dimension() {
    return dimension;
  }

  public int classes() {
    return classes;
  }

  /**
   * Log-probabilities of every class for each image, {@code [B][K]}, in one model call.
   *
   * @param timesteps the diffusion time of each image for a noise-aware export; ignored ({@code null} allowed) for
   *                  a clean one
   */
  public double[][] logProbabilities(float[][] images, int[] timesteps, SearchContext ctx) {
    int b = images.length;
    if (b == 0) {
      return new double[0][];
    }
    if (noiseAware && (timesteps == null || timesteps.length != b)) {
      throw new IllegalArgumentException("a noise-aware classifier needs one timestep per image: " + b
          + " images, " + (timesteps == null ? "no" : timesteps.length) + " timesteps");
    }
    FloatBuffer pixels = Batch.floats(b * dimension);
    for (int i = 0; i < b; i++) {
      if (images[i].length != dimension) {
        throw new IllegalArgumentException("image " + i + " has " + images[i].length + " values; "
            + model.file() + " expects " + dimension);
      }
      pixels.put(images[i]);
    }
    pixels.flip();
    float[] logits;
    try (TensorScope scope = model.scope()) {
      Map<String, ai.onnxruntime.OnnxTensor> in;
      if (noiseAware) {
        LongBuffer t = Batch.longs(b);
        for (int i = 0; i < b; i++) {
          t.put(timesteps[i]);
        }
        t.flip();
        in = Map.of("sample", scope.floats(pixels, b, dimension), "timestep", scope.longs(t, b));
      } else {
        in = Map.of("image", scope.floats(pixels, b, dimension));
      }
      logits = Batch.read(scope.run(in, Map.of()).tensor("logits"), model.file() + " logits", b, classes);
    }
    ctx.counters().addVerifierCalls(1);
    ctx.counters().addVerifierTokens(b);
    double[][] out = new double[b][classes];
    for (int i = 0; i < b; i++) {
      for (int k = 0; k < classes; k++) {
        out[i][k] = logits[i * classes + k];
      }
      double logNorm = LatentViews.logSumExp(out[i], 0, classes);
      for (int k = 0; k < classes; k++) {
        out[i][k] -= logNorm;
      }
    }
    return out;
  }

  /** log p(target | image) for each image, in one model call. */
  public double[] logProbability(float[][] images, int[] timesteps, int target, SearchContext ctx) {
    requireClass(target);
    double[][] all = logProbabilities(images, timesteps, ctx);
    double[] out = new double[all.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = all[i][target];
    }
    return out;
  }

  /** The most probable class of each image. */
  public int[] classify(float[][] images, int[] timesteps, SearchContext ctx) {
    double[][] all = logProbabilities(images, timesteps, ctx);
    int[] out = new int[all.length];
    for (int i = 0; i < out.length; i++) {
      for (int k = 1; k < classes; k++) {
        if (all[i][k] > all[i][out[i]]) {
          out[i] = k;
        }
      }
    }
    return out;
  }

  /** Scores the x0 prediction of each state (the sample itself once terminal) with a clean classifier. */
  public ProcessScorer<Latent> onPrediction(int target) {
    requireClean("onPrediction");
    requireClass(target);
    return (hs, ctx) -> logProbability(LatentViews.predictions(hs), null, target, ctx);
  }

  /** The final samples, scored with a clean classifier. */
  public OutcomeScorer<Latent> onSample(int target) {
    requireClean("onSample");
    requireClass(target);
    return (hs, ctx) -> logProbability(LatentViews.samples(hs), null, target, ctx);
  }

  /** Scores each noisy state at its own timestep with a noise-aware classifier. */
  public ProcessScorer<Latent> onNoisySample(int target) {
    if (!noiseAware) {
      throw new IllegalStateException(model.file() + " is a clean classifier (input 'image'); onNoisySample needs a"
          + " noise-aware export with inputs 'sample' and 'timestep'. Use onPrediction for a clean classifier.");
    }
    requireClass(target);
    return (hs, ctx) -> logProbability(LatentViews.samples(hs), LatentViews.timesteps(hs), target, ctx);
  }

  /**
   * Scores each state by log-mean-exp over {@code draws} x0 samples around the prediction:
   * {@code r = log (1/K sum_k p(target | x0_hat + spread * sqrt(1 - abar_t) * eps_k))}, all K x B in one call.
   * Draws are keyed by (lineage, timestep, k), so they do not depend on the batch.
   *
   * @param alphaCumprod abar_t of the schedule, for the state's timestep
   */
  public ProcessScorer<Latent> onPredictionSamples(int target, int draws, double spread,
      java.util.function.IntToDoubleFunction alphaCumprod) {
    requireClean("onPredictionSamples");
    requireClass(target);
    if (draws < 1) {
      throw new IllegalArgumentException("draws must be >= 1, was " + draws);
    }
    if (!(spread >= 0) || Double.isInfinite(spread)) {
      throw new IllegalArgumentException("spread must be finite and >= 0, was " + spread);
    }
    Objects.requireNonNull(alphaCumprod, "alphaCumprod");
    return (hs, ctx) -> {
      float[][] x = LatentViews.predictionDraws(hs, draws, spread, alphaCumprod, ctx);
      double[] lp = logProbability(x, null, target, ctx);
      return LatentViews.logMeanExp(lp, hs.size(), draws);
    };
  }

  /** A noise reward: generate from each noise vector, then score log p(target | sample). */
  public NoiseReward through(NoiseGenerator generator, int target) {
    requireClean("through");
    requireClass(target);
    Objects.requireNonNull(generator, "generator");
    return (noise, ctx) -> logProbability(generator.generate(noise, ctx), null, target, ctx);
  }

  private void requireClean(String what) {
    if (noiseAware) {
      throw new IllegalStateException(model.file() + " is a noise-aware classifier; " + what + " scores clean"
          + " images. Use onNoisySample, or load a clean classifier (input 'image').");
    }
  }

  private void requireClass(int target) {
    if (target < 0 || target >= classes) {
      throw new IllegalArgumentException("target class must be in [0, " + (classes - 1) + "], was " + target);
    }
  }

  @Override
  public void close() {
    model.close();
  }

  @Override
  public String toString() {
    return "ImageClassifier{" + model.file() + (noiseAware ? ", noise-aware" : "") + ", " + dimension + " -> "
        + classes + "}";
  }

  /** For tests: the underlying model (its ledger). */
  OnnxModel model() {
    return model;
  }
}
