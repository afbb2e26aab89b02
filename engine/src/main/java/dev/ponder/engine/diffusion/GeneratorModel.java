package dev.ponder.engine.diffusion;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A one-step generator in ONNX (a distilled sampler): {@code model.onnx} with input {@code noise} float32 [B, D]
 * and output {@code sample} float32 [B, E], D and E fixed. Thread-safe; {@link #close()} is idempotent and
 * waits for calls in flight.
 */
public final class GeneratorModel implements AutoCloseable, NoiseGenerator {
  static final String NOISE = "noise";
  static final String SAMPLE = "sample";
  private static final ModelContract CONTRACT = ModelContract.of("one-step generator")
      .input(TensorSpec.float32(NOISE, 2)).output(TensorSpec.float32(SAMPLE, 2));

  private final ModelSource source;
  private final OnnxModel session;
  private final int noiseDimension;
  private final int sampleDimension;

  private GeneratorModel(ModelSource source, OnnxModel session, int noiseDimension, int sampleDimension) {
    this.source = source;
    this.session = session;
    this.noiseDimension = noiseDimension;
    this.sampleDimension = sampleDimension;
  }

  public static GeneratorModel load(Path dir) {
    return load(dir, ModelOptions.cpu());
  }

  /**
   * @throws IllegalArgumentException when the directory or model file is missing
   * @throws dev.ponder.engine.model.ModelContractException when the model breaks the generator contract
   */
  public static GeneratorModel load(Path dir, ModelOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("generator directory not found: " + dir.toAbsolutePath());
    }
    return load(ModelSource.directory(dir), options);
  }

  /**
   * Loads a generator from a directory, the classpath, a URL or any other source of its {@code model.onnx}.
   *
   * @throws IllegalArgumentException when the model file is missing
   * @throws dev.ponder.engine.model.ModelContractException when the model breaks the generator contract
   */
  public static GeneratorModel load(ModelSource source, ModelOptions options) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(options, "options");
    OnnxModel session = OnnxModel.load(source, "model.onnx", options);
    try {
      CONTRACT.verify(session);
      return new GeneratorModel(source, session, RowBatch.fixedWidth(session, "one-step generator", NOISE, true),
          RowBatch.fixedWidth(session, "one-step generator", SAMPLE, false));
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  @Override
  public int noiseDimension() {
    return noiseDimension;
  }

  /** E, the length of a sample. */
  public int sampleDimension() {
    return sampleDimension;
  }

  /**
   * The directory the model was loaded from.
   *
   * @throws IllegalStateException when it was loaded from another kind of {@link ModelSource}
   */
  public Path directory() {
    return source.directory().orElseThrow(() -> new IllegalStateException("generator " + source
        + " was not loaded from a directory; see source()"));
  }

  /** Where the model was loaded from. */
  public ModelSource source() {
    return source;
  }

  /** The ONNX session (for this package's tests: the native-value ledger and the execution provider). */
  OnnxModel session() {
    return session;
  }

  /**
   * Native ONNX Runtime values this model has created and not yet closed: zero between calls when nothing leaks
   * (the soak test and the decode benchmarks check it).
   */
  public long openNativeValues() {
    return session.ledger().stillOpen();
  }

  /** One sample per noise row, in one batched call; adds 1 model call and one policy token per row. */
  @Override
  public float[][] generate(float[][] noise, SearchContext ctx) {
    Objects.requireNonNull(ctx, "ctx");
    if (noise.length == 0) {
      return new float[0][];
    }
    float[][] out = RowBatch.run(session, NOISE, noise, noiseDimension, null, null, SAMPLE, sampleDimension);
    ctx.counters().addModelCalls(1);
    ctx.counters().addPolicyTokens(noise.length);
    return out;
  }

  /**
   * A one-step process over this generator: {@code start} draws x_T as {@link DiffusionProcess} does, one
   * {@code advance} generates the sample and makes the hypothesis terminal. Before the step,
   * {@link Latent#timestep()} is 999 (pure noise on a 1000-step schedule); after it, 0, and
   * {@link Latent#x0Prediction()} is the sample.
   */
  public GenerativeProcess<Latent> process() {
    return new GeneratorProcess(this);
  }

  @Override
  public void close() {
    session.close();
  }
}
