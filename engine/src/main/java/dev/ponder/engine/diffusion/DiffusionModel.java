package dev.ponder.engine.diffusion;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.onnx.ModelContract;
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

  NoiseSchedule schedule() {
    return schedule;
  }

  /** The noise schedule's alpha-bar at training timestep {@code t} (scheduler_config.json's betas, cumulated). */
  public double alphaCumprod(int t) {
    return schedule.alphaCumprod(t);
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

  /**
   * How a diffusion process samples: which reverse-time update and how many inference steps.
   *
   * <ul>
   *   <li>{@link Kind#DDPM}: ancestral sampling (Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models",
   *       NeurIPS 2020), as diffusers' {@code DDPMScheduler.step}; always stochastic, {@code eta} is 1 by definition.
   *       </li>
   *   <li>{@link Kind#DDIM}: the implicit sampler (Song, Meng and Ermon, "Denoising Diffusion Implicit Models",
   *       ICLR 2021), as diffusers' {@code DDIMScheduler.step}; {@code eta = 0} is deterministic, {@code eta = 1}
   *       has DDPM's variance on the strided steps.</li>
   * </ul>
   *
   * <p>{@code steps} must lie in [1, num_train_timesteps]; the upper bound is checked when
   * {@link DiffusionModel#process} meets the schedule.
   *
   * @param kind  the update rule
   * @param steps inference steps, at least 1
   * @param eta   DDIM's noise scale in [0, 1]; exactly 1 for DDPM
   */
  public record DiffusionSampling(Kind kind, int steps, double eta) {

    /** The reverse-time update rule. */
    public enum Kind { DDPM, DDIM }

    public DiffusionSampling {
      Objects.requireNonNull(kind, "kind");
      if (steps < 1) {
        throw new IllegalArgumentException("steps must be >= 1 (one denoiser call per step), was " + steps
            + "; pass the number of inference steps, e.g. 50");
      }
      if (!Double.isFinite(eta) || eta < 0 || eta > 1) {
        throw new IllegalArgumentException("eta must be a finite number in [0, 1], was " + eta
            + "; use 0 for deterministic DDIM, 1 for DDPM-like variance");
      }
      if (kind == Kind.DDPM && eta != 1) {
        throw new IllegalArgumentException("DDPM sampling has eta = 1 by definition, was " + eta
            + "; use DiffusionSampling.ddpm(steps), or DiffusionSampling.ddim(steps, eta) for another eta");
      }
    }

    /** DDIM with the given noise scale ({@code 0} = deterministic). */
    public static DiffusionSampling ddim(int steps, double eta) {
      return new DiffusionSampling(Kind.DDIM, steps, eta);
    }

    /** Ancestral DDPM sampling over {@code steps} strided steps (variance from the scheduler's variance_type). */
    public static DiffusionSampling ddpm(int steps) {
      return new DiffusionSampling(Kind.DDPM, steps, 1.0);
    }

    /** True when the sampler draws fresh noise at each step (DDPM, or DDIM with eta &gt; 0). */
    public boolean isStochastic() {
      return kind == Kind.DDPM || eta > 0;
    }
  }
}
