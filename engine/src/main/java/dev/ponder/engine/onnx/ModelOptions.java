package dev.ponder.engine.onnx;

import java.util.Objects;

/**
 * How an ONNX model is run.
 *
 * @param device           CPU (default) or a CUDA device; CUDA needs ONNX Runtime's GPU jar on the classpath
 *                         instead of the CPU one, and a CUDA runtime on the machine
 * @param allowCpuFallback when the CUDA provider cannot be loaded: false (default) fails with an error, true logs
 *                         a warning and runs on the CPU
 * @param intraOpThreads   threads inside one operator; 0 lets ONNX Runtime choose
 * @param interOpThreads   threads across operators; 0 lets ONNX Runtime choose
 */
public record ModelOptions(Device device, boolean allowCpuFallback, int intraOpThreads, int interOpThreads) {

  public ModelOptions {
    Objects.requireNonNull(device, "device");
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException("intraOpThreads must be >= 0 (0 = ONNX Runtime's choice), was " + intraOpThreads);
    }
    if (interOpThreads < 0) {
      throw new IllegalArgumentException("interOpThreads must be >= 0 (0 = ONNX Runtime's choice), was " + interOpThreads);
    }
  }

  public static ModelOptions cpu() {
    return new ModelOptions(Device.cpu(), false, 0, 0);
  }

  public ModelOptions withDevice(String device) {
    return new ModelOptions(Device.parse(device), allowCpuFallback, intraOpThreads, interOpThreads);
  }

  public ModelOptions withCpuFallback(boolean allow) {
    return new ModelOptions(device, allow, intraOpThreads, interOpThreads);
  }

  public ModelOptions withThreads(int intraOp, int interOp) {
    return new ModelOptions(device, allowCpuFallback, intraOp, interOp);
  }
}
