package dev.ponder.engine.onnx;

import dev.ponder.engine.model.ModelLoadException;
import dev.ponder.engine.model.ModelOptions.DeviceUnavailableException;
import dev.ponder.engine.model.ModelOptions.Device;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.model.ModelOptions;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ONNX Runtime session and everything native it owns.
 *
 * <p>Runs may come from several threads at once. {@link #close()} is idempotent and safe while another thread is
 * inside {@link TensorScope#run}: it stops new runs at once (they fail with {@link IllegalStateException}) and
 * waits for the runs in flight to finish before it frees the session — ONNX Runtime's Java API has no such guard
 * of its own, and closing a session under a running call crashes the JVM.
 *
 * <p>Every tensor and result is made through a {@link TensorScope}, which closes them and keeps the
 * {@link NativeLedger} that tests read.
 */
public final class OnnxModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxModel.class);

  private final Path file;
  private final OrtEnvironment env;
  private final OrtSession session;
  private final Map<String, TensorInfo> inputs;
  private final Map<String, TensorInfo> outputs;
  private final String executionProvider;
  private final NativeLedger ledger = new NativeLedger();
  private final Lifecycle lifecycle;
  private final Map<String, long[]> initializers;

  private OnnxModel(Path file, OrtEnvironment env, OrtSession session, String executionProvider,
      Map<String, long[]> initializers) throws OrtException {
    this.file = file;
    this.env = env;
    this.session = session;
    this.executionProvider = executionProvider;
    this.initializers = initializers;
    this.lifecycle = new Lifecycle("model " + file);
    this.inputs = tensorInfos(session.getInputInfo());
    this.outputs = tensorInfos(session.getOutputInfo());
  }

  /**
   * Loads a model file.
   *
   * @throws IllegalArgumentException   when the file does not exist
   * @throws DeviceUnavailableException when CUDA was asked for, cannot be loaded, and CPU fallback is not allowed
   * @throws ModelLoadException         when ONNX Runtime rejects the file
   */
  public static OnnxModel load(Path file, ModelOptions options) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("ONNX model file not found: " + file.toAbsolutePath());
    }
    return create(file, null, options);
  }

  /**
   * Loads the model file {@code fileName} of a source: by path for a directory source, from its bytes otherwise.
   *
   * @throws IllegalArgumentException   when the source has no such file
   * @throws DeviceUnavailableException when CUDA was asked for, cannot be loaded, and CPU fallback is not allowed
   * @throws ModelLoadException         when ONNX Runtime rejects the file
   */
  public static OnnxModel load(ModelSource source, String fileName, ModelOptions options) {
    Optional<Path> dir = source.directory();
    if (dir.isPresent()) {
      return load(dir.get().resolve(fileName), options);
    }
    byte[] bytes = source.readIfPresent(fileName)
        .orElseThrow(() -> new IllegalArgumentException("ONNX model file not found: " + source.describe(fileName)));
    return create(Path.of(source.describe(fileName)), bytes, options);
  }

  /** A session from the file, or from {@code bytes} when not null ({@code file} then only names it). */
  private static OnnxModel create(Path file, byte[] bytes, ModelOptions options) {
    Map<String, long[]> initializers;
    try (InputStream in = bytes == null ? Files.newInputStream(file) : new ByteArrayInputStream(bytes)) {
      initializers = Initializers.read(in);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read the ONNX graph of " + file + ": " + e.getMessage(), e);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      if (options.intraOpThreads() > 0) {
        so.setIntraOpNumThreads(options.intraOpThreads());
      }
      if (options.interOpThreads() > 0) {
        so.setInterOpNumThreads(options.interOpThreads());
      }
      String provider = selectProvider(so, options);
      OrtSession session = bytes == null ? env.createSession(file.toString(), so) : env.createSession(bytes, so);
      try {
        return new OnnxModel(file, env, session, provider, initializers);
      } catch (OrtException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime could not load " + (bytes == null ? file.toAbsolutePath() : file)
          + ": " + e.getMessage(), e);
    }
  }

  /** Registers the device's execution provider; returns the name of the provider that will run the model. */
  static String selectProvider(OrtSession.SessionOptions so, ModelOptions options) {
    if (!(options.device() instanceof Device.Cuda cuda)) {
      return "CPU";
    }
    try {
      so.addCUDA(cuda.index());
      return "CUDA:" + cuda.index();
    } catch (OrtException | LinkageError | RuntimeException e) {
      String why = "device " + cuda + " was requested but ONNX Runtime's CUDA execution provider could not be loaded ("
          + e.getMessage() + ")";
      if (options.allowCpuFallback()) {
        LOG.warn("{}; running on the CPU because CPU fallback is allowed", why);
        return "CPU";
      }
      throw new DeviceUnavailableException(why + ". Put the onnxruntime_gpu jar (not the CPU onnxruntime jar) on the"
          + " classpath with a matching CUDA runtime, choose device=cpu, or allow CPU fallback explicitly.", e);
    }
  }

  private static Map<String, TensorInfo> tensorInfos(Map<String, NodeInfo> infos) {
    Map<String, TensorInfo> out = new LinkedHashMap<>();
    infos.forEach((name, info) -> {
      if (info.getInfo() instanceof TensorInfo t) {
        out.put(name, t);
      }
    });
    return Collections.unmodifiableMap(out);
  }

  /** The model file; for a model loaded from a non-directory {@link ModelSource}, a name of where it came from. */
  public Path file() {
    return file;
  }

  /** The names of the graph's initializers (weights), in the graph's order. */
  public java.util.Set<String> initializerNames() {
    return initializers.keySet();
  }

  /** The shape of the graph's initializer (weight) of that name, if it has one. */
  public Optional<long[]> initializerShape(String name) {
    long[] shape = initializers.get(name);
    return shape == null ? Optional.empty() : Optional.of(shape.clone());
  }

  /** Tensor inputs by name, in the model's order. */
  public Map<String, TensorInfo> inputs() {
    return inputs;
  }

  /** Tensor outputs by name, in the model's order. */
  public Map<String, TensorInfo> outputs() {
    return outputs;
  }

  /** "CPU" or "CUDA:N": the provider that actually runs this model. */
  public String executionProvider() {
    return executionProvider;
  }

  public NativeLedger ledger() {
    return ledger;
  }

  /** A scope for one run's tensors and result; closing it closes them all. */
  public TensorScope scope() {
    return new TensorScope(this);
  }

  OrtEnvironment env() {
    return env;
  }

  /** Runs under the read lock so that {@link #close()} waits for it. */
  OrtSession.Result run(Map<String, OnnxTensor> in, Map<String, OnnxTensor> pinned) throws OrtException {
    try (Lifecycle.Guard entered = lifecycle.enter()) {
      return pinned.isEmpty() ? session.run(in) : session.run(in, pinned);
    }
  }

  public boolean isClosed() {
    return lifecycle.isClosed();
  }

  @Override
  public void close() {
    lifecycle.close(() -> {
      try {
        session.close();
      } catch (OrtException e) {
        LOG.warn("closing the session of {} failed: {}", file, e.getMessage());
      }
    });
  }
}
