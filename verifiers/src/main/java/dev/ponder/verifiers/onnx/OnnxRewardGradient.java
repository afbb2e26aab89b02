package dev.ponder.verifiers.onnx;


import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.onnx.TensorSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A differentiable class reward exported as one ONNX graph: {@code (noise [B, D], target_class int64 [B]) ->
 * (reward [B], grad [B, D])}, where reward = log p(target | classifier(generator(noise))) and grad its gradient with
 * respect to the noise (the graph runs generator, classifier and their backward pass). Other outputs are ignored.
 * So reward-guided noise optimization runs on ONNX Runtime alone.
 *
 * <p>Each batch is one model call, counted as one verifier call and B verifier tokens (rows). Thread-safe;
 * {@link #close()} is idempotent and waits for calls in flight.
 */
public final class OnnxRewardGradient implements AutoCloseable {
  private final OnnxModel model;
  private final int dimension;

  private OnnxRewardGradient(OnnxModel model, int dimension) {
    this.model = model;
    this.dimension = dimension;
  }

  public static OnnxRewardGradient load(Path dir) {
    return load(dir, ModelOptions.cpu());
  }

  /**
   * @throws IllegalArgumentException when {@code dir/model.onnx} is missing
   * @throws ModelContractException   when the graph's inputs or outputs break the contract
   */
  public static OnnxRewardGradient load(Path dir, ModelOptions options) {
    return load(ModelDir.open(dir, "model.onnx"), options);
  }

  /** Loads {@code model.onnx} from any source (a directory, the classpath, a URL). */
  public static OnnxRewardGradient load(ModelSource source, ModelOptions options) {
    return load(ModelDir.open(source), options);
  }

  private static OnnxRewardGradient load(ModelDir files, ModelOptions options) {
    OnnxModel model = files.model(Objects.requireNonNull(options, "options"));
    try {
      ModelContract.of("differentiable reward")
          .input(TensorSpec.float32("noise", 2)).input(TensorSpec.int64("target_class", 1))
          .output(TensorSpec.float32("reward", 1)).output(TensorSpec.float32("grad", 2)).verify(model);
      long[] shape = model.inputs().get("noise").getShape();
      if (shape[1] < 1) {
        throw new ModelContractException(model.file() + ": input 'noise' must have a fixed dimension, found "
            + Arrays.toString(shape));
      }
      return new OnnxRewardGradient(model, Math.toIntExact(shape[1]));
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The noise dimension D. */
  public int dimension() {
    return dimension;
  }

  /** The reward log p(target | generator(noise)) and its gradient, as a {@link DifferentiableReward}. */
  public DifferentiableReward forClass(int target) {
    if (target < 0) {
      throw new IllegalArgumentException("target class must be >= 0, was " + target);
    }
    return (noise, ctx) -> evaluate(noise, target, ctx);
  }

  DifferentiableReward.ValueAndGradient evaluate(float[][] noise, int target, SearchContext ctx) {
    int b = noise.length;
    if (b == 0) {
      return new DifferentiableReward.ValueAndGradient(new double[0], new float[0][]);
    }
    FloatBuffer z = Batch.floats(b * dimension);
    LongBuffer classes = Batch.longs(b);
    for (int i = 0; i < b; i++) {
      if (noise[i].length != dimension) {
        throw new IllegalArgumentException("noise vector " + i + " has " + noise[i].length + " values; "
            + model.file() + " expects " + dimension);
      }
      z.put(noise[i]);
      classes.put(target);
    }
    z.flip();
    classes.flip();
    double[] values = new double[b];
    float[][] grads = new float[b][dimension];
    try (TensorScope scope = model.scope()) {
      Map<String, OnnxTensor> in = Map.of("noise", scope.floats(z, b, dimension), "target_class", scope.longs(classes, b));
      TensorScope.Outputs out = scope.run(in, Map.of());
      float[] r = Batch.read(out.tensor("reward"), model.file() + " reward", b);
      float[] g = Batch.read(out.tensor("grad"), model.file() + " grad", b, dimension);
      for (int i = 0; i < b; i++) {
        values[i] = r[i];
        System.arraycopy(g, i * dimension, grads[i], 0, dimension);
      }
    }
    ctx.counters().addVerifierCalls(1);
    ctx.counters().addVerifierTokens(b);
    return new DifferentiableReward.ValueAndGradient(values, grads);
  }

  @Override
  public void close() {
    model.close();
  }

  @Override
  public String toString() {
    return "OnnxRewardGradient{" + model.file() + ", dimension=" + dimension + "}";
  }
}
