package dev.ponder.engine.model;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;

/**
 * How an ONNX model is run.
 *
 * @param device            CPU (default) or a CUDA device; CUDA needs ONNX Runtime's GPU jar on the classpath
 *                          instead of the CPU one, and a CUDA runtime on the machine
 * @param allowCpuFallback  when the CUDA provider cannot be loaded: false (default) fails with an error, true logs
 *                          a warning and runs on the CPU
 * @param intraOpThreads    threads inside one operator; 0 lets ONNX Runtime choose
 * @param interOpThreads    threads across operators; 0 lets ONNX Runtime choose
 * @param addSpecialTokens  language models: whether prompts given as text are encoded with the tokenizer's
 *                          special-token rules, as Hugging Face's {@code tokenizer(prompt)} does (default true: a
 *                          BOS where the tokenizer's post-processor adds one); false encodes the text exactly as
 *                          given, as {@code add_special_tokens=False}
 * @param batchMemoryBytes  language models: the most direct memory one process may hold in KV cache and logits,
 *                          counting what its next model call adds; a call that would pass it fails before
 *                          allocating, naming the rows and bytes. Per process: searches running at once on one
 *                          model each have this much. 0 (default) = {@link #defaultBatchMemoryBytes()}
 * @param closeTimeout      language models: how long {@code close()} waits for processes still open before it
 *                          frees the model anyway (default 30 s)
 */
public record ModelOptions(Device device, boolean allowCpuFallback, int intraOpThreads, int interOpThreads,
    boolean addSpecialTokens, long batchMemoryBytes, Duration closeTimeout) {

  /** The default close timeout: long enough for a search to finish its step, short enough for a shutdown. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

  public ModelOptions {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads must be >= 0 (0 = ONNX Runtime's choice), was " + intraOpThreads);
    }
    if (interOpThreads < 0) {
      throw new IllegalArgumentException("interOpThreads must be >= 0 (0 = ONNX Runtime's choice), was " + interOpThreads);
    }
    if (batchMemoryBytes < 0) {
      throw new IllegalArgumentException("batchMemoryBytes must be >= 0 (0 = default, 3/4 of the JVM's maximum direct"
          + " memory), was " + batchMemoryBytes);
    }
    if (closeTimeout.isNegative()) {
      throw new IllegalArgumentException("closeTimeout must be >= 0, was " + closeTimeout);
    }
  }

  public static ModelOptions cpu() {
    return new ModelOptions(Device.cpu(), false, 0, 0, true, 0, DEFAULT_CLOSE_TIMEOUT);
  }

  public ModelOptions withDevice(String device) {
    return new ModelOptions(Device.parse(device), allowCpuFallback, intraOpThreads, interOpThreads, addSpecialTokens,
        batchMemoryBytes, closeTimeout);
  }

  public ModelOptions withCpuFallback(boolean allow) {
    return new ModelOptions(device, allow, intraOpThreads, interOpThreads, addSpecialTokens, batchMemoryBytes,
        closeTimeout);
  }

  public ModelOptions withThreads(int intraOp, int interOp) {
    return new ModelOptions(device, allowCpuFallback, intraOp, interOp, addSpecialTokens, batchMemoryBytes,
        closeTimeout);
  }

  /** Whether text prompts get the tokenizer's special tokens (Hugging Face's {@code add_special_tokens}). */
  public ModelOptions withSpecialTokens(boolean add) {
    return new ModelOptions(device, allowCpuFallback, intraOpThreads, interOpThreads, add, batchMemoryBytes,
        closeTimeout);
  }

  /** The most direct memory one process may hold in KV cache and logits; 0 = {@link #defaultBatchMemoryBytes()}. */
  public ModelOptions withBatchMemoryLimit(long bytes) {
    return new ModelOptions(device, allowCpuFallback, intraOpThreads, interOpThreads, addSpecialTokens, bytes,
        closeTimeout);
  }

  /** How long a language model's {@code close()} waits for processes still open. */
  public ModelOptions withCloseTimeout(Duration timeout) {
    return new ModelOptions(device, allowCpuFallback, intraOpThreads, interOpThreads, addSpecialTokens,
        batchMemoryBytes, timeout);
  }

  /** {@link #batchMemoryBytes}, with 0 resolved to {@link #defaultBatchMemoryBytes()}. */
  public long batchMemoryLimit() {
    return batchMemoryBytes > 0 ? batchMemoryBytes : defaultBatchMemoryBytes();
  }

  /**
   * 3/4 of the JVM's maximum direct memory ({@code -XX:MaxDirectMemorySize}, which defaults to the maximum heap,
   * {@code -Xmx}); the rest is left for the buffers a search keeps between calls and for other users.
   */
  public static long defaultBatchMemoryBytes() {
    return maxDirectMemory() / 4 * 3;
  }

  /** The JVM's limit on direct buffers: {@code -XX:MaxDirectMemorySize} when set, else the maximum heap. */
  static long maxDirectMemory() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean hotspot =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      long set = hotspot == null ? 0 : Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
      return set > 0 ? set : Runtime.getRuntime().maxMemory();
    } catch (RuntimeException | LinkageError e) {
      return Runtime.getRuntime().maxMemory(); // not a HotSpot JVM (or jdk.management absent on the module path): the JDK's own default for direct memory
    }
  }

  /** Where a model runs: the CPU, or a CUDA device by index. Parsed from {@code cpu}, {@code cuda}, {@code cuda:N}. */
  public sealed interface Device {

    record Cpu() implements Device {
      @Override
      public String toString() {
        return "cpu";
      }
    }

    record Cuda(int index) implements Device {
      public Cuda {
        if (index < 0) {
          throw new IllegalArgumentException("CUDA device index must be >= 0, was " + index);
        }
      }

      @Override
      public String toString() {
        return "cuda:" + index;
      }
    }

    static Device cpu() {
      return new Cpu();
    }

    static Device parse(String text) {
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', was " + (text == null ? "null" : "blank"));
      }
      String t = text.trim().toLowerCase(java.util.Locale.ROOT);
      if (t.equals("cpu")) {
        return new Cpu();
      }
      if (t.equals("cuda")) {
        return new Cuda(0);
      }
      if (t.startsWith("cuda:")) {
        try {
          return new Cuda(Integer.parseInt(t.substring(5)));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("device '" + text + "' has a bad CUDA index; expected 'cuda:N' with N >= 0");
        }
      }
      throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', was '" + text + "'");
    }
  }

  /** The configured device could not be used and CPU fallback was not allowed. */
  public static final class DeviceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
