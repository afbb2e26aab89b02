package dev.ponder.engine.diffusion;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An epsilon-prediction denoiser in ONNX with its diffusers noise schedule: a directory with {@code model.onnx}
 * (inputs {@code sample} float32 [B, D] and {@code timestep} int64 [B], output {@code noise_pred} float32 [B, D])
 * and {@code scheduler_config.json}. D is read from the model and must be fixed.
 *
 * <p>Thread-safe: several processes may denoise with one model at once. The model owns the ONNX session;
 * {@link #close()} is idempotent and waits for calls in flight.
 *
 * <pre>{@code
 * try (DiffusionModel denoiser = DiffusionModel.load(Path.of("onnx-models/digits/denoiser"));
 *      DiffusionProcess p = denoiser.process(DiffusionSampling.ddim(50, 0))) {
 *   float[][] images = p.generate(noise, ctx);
 * }
 * }</pre>
 */
public final class DiffusionModel implements AutoCloseable {
  static final String SAMPLE = "sample";
  static final String TIMESTEP = "timestep";
  static final String NOISE_PRED = "noise_pred";
  private static final ModelContract CONTRACT = ModelContract.of("denoiser")
      .input(TensorSpec.float32(SAMPLE, 2)).input(TensorSpec.int64(TIMESTEP, 1))
      .output(TensorSpec.float32(NOISE_PRED, 2));

  private final ModelSource source;
  private final OnnxModel session;
  private final NoiseSchedule schedule;
  private final int dimension;

  private DiffusionModel(ModelSource source, OnnxModel session, NoiseSchedule schedule, int dimension) {
    this.source = source;
    this.session = session;
    this.schedule = schedule;
    this.dimension = dimension;
  }

  public static DiffusionModel load(Path dir) {
    return load(dir, ModelOptions.cpu());
  }

  /**
   * @throws IllegalArgumentException when the directory or a file is missing, or the scheduler config asks for
   *                                  something unsupported
   * @throws ModelContractException when the model breaks the denoiser contract
   */
  public static DiffusionModel load(Path dir, ModelOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("denoiser directory not found: " + dir.toAbsolutePath());
    }
    return load(ModelSource.directory(dir), options);
  }

  /**
   * Loads a denoiser from a directory, the classpath, a URL or any other source of its files.
   *
   * @throws IllegalArgumentException when a file is missing, or the scheduler config asks for something
   *                                  unsupported
   * @throws ModelContractException when the model breaks the denoiser contract
   */
  public static DiffusionModel load(ModelSource source, ModelOptions options) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(options, "options");
    OnnxModel session = OnnxModel.load(source, "model.onnx", options);
    try {
      CONTRACT.verify(session);
      NoiseSchedule schedule = NoiseSchedule.read(source);
      int d = RowBatch.fixedWidth(session, "denoiser", SAMPLE, true);
      int out = RowBatch.fixedWidth(session, "denoiser", NOISE_PRED, false);
      if (out != d) {
        throw new ModelContractException("denoiser model " + session.file() + ": noise_pred"
            + " has width " + out + " but sample has width " + d + "; an epsilon-prediction denoiser returns one"
            + " noise value per sample value");
      }
      return new DiffusionModel(source, session, schedule, d);
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /** D, the length of a sample. */
  public int dimension() {
    return dimension;
  }

  public NoiseSchedule schedule() {
    return schedule;
  }

  /**
   * The directory the model was loaded from.
   *
   * @throws IllegalStateException when it was loaded from another kind of {@link ModelSource}
   */
  public Path directory() {
    return source.directory().orElseThrow(() -> new IllegalStateException("denoiser " + source
        + " was not loaded from a directory; see source()"));
  }

  /** Where the model was loaded from. */
  public ModelSource source() {
    return source;
  }

  /** The ONNX session (for the native-value ledger and the execution provider). */
  @SuppressWarnings("exports") // the ONNX layer is exported to the verifiers only (and read by the bench)
  public OnnxModel session() {
    return session;
  }

  /**
   * A sampling process over this denoiser; close it when the search is done (that frees nothing of the model's).
   *
   * @throws IllegalArgumentException when {@code sampling.steps()} exceeds the schedule's num_train_timesteps
   */
  public DiffusionProcess process(DiffusionSampling sampling) {
    Objects.requireNonNull(sampling, "sampling");
    return new DiffusionProcess(this, sampling, schedule.timesteps(sampling.steps()));
  }

  /**
   * The predicted noise eps(x_i, t_i) for each row, in one batched call; adds 1 model call and {@code x.length}
   * policy tokens (one per row) to the context's counters.
   *
   * @param x         samples [B][D]
   * @param timesteps one diffusion time per row, in [0, T - 1]
   * @return the predicted noise [B][D]
   */
  public float[][] predictNoise(float[][] x, int[] timesteps, SearchContext ctx) {
    Objects.requireNonNull(ctx, "ctx");
    if (x.length != timesteps.length) {
      throw new IllegalArgumentException("predictNoise got " + x.length + " rows but " + timesteps.length
          + " timesteps; pass one timestep per row");
    }
    for (int t : timesteps) {
      schedule.alphaCumprod(t); // range check with a clear message
    }
    if (x.length == 0) {
      return new float[0][];
    }
    float[][] eps = RowBatch.run(session, SAMPLE, x, dimension, TIMESTEP, timesteps, NOISE_PRED, dimension);
    ctx.counters().addModelCalls(1);
    ctx.counters().addPolicyTokens(x.length);
    return eps;
  }

  @Override
  public void close() {
    session.close();
  }
}
