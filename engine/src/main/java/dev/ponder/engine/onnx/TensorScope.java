package dev.ponder.engine.onnx;

import dev.ponder.engine.model.ModelLoadException;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The native values of one model call: tensors over caller-owned direct buffers (no copy), and the run's result.
 * Closing the scope closes every one of them exactly once. Not thread-safe; one scope per call.
 */
public final class TensorScope implements AutoCloseable {
  private final OnnxModel model;
  private final List<AutoCloseable> values = new ArrayList<>();
  private boolean closed;

  TensorScope(OnnxModel model) {
    this.model = model;
  }

  /** A float tensor over a direct, native-order buffer's remaining elements: ONNX Runtime reads it in place. */
  public OnnxTensor floats(FloatBuffer data, long... shape) {
    requireDirect(data.isDirect(), "float");
    return track(() -> OnnxTensor.createTensor(model.env(), data, shape));
  }

  /** An int64 tensor over a direct, native-order buffer's remaining elements. */
  public OnnxTensor longs(LongBuffer data, long... shape) {
    requireDirect(data.isDirect(), "int64");
    return track(() -> OnnxTensor.createTensor(model.env(), data, shape));
  }

  /** Runs the model; outputs named in {@code pinned} are written into those tensors' buffers. */
  public Outputs run(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> pinned) {
    if (closed) {
      throw new IllegalStateException("tensor scope already closed");
    }
    try {
      OrtSession.Result result = model.run(inputs, pinned);
      model.ledger().opened();
      values.add(() -> {
        result.close();
        model.ledger().closed();
      });
      return new Outputs(result);
    } catch (OrtException e) {
      throw new ModelLoadException("running " + model.file() + " failed: " + e.getMessage(), e);
    }
  }

  private OnnxTensor track(TensorMaker maker) {
    if (closed) {
      throw new IllegalStateException("tensor scope already closed");
    }
    try {
      OnnxTensor t = maker.make();
      model.ledger().opened();
      values.add(() -> {
        t.close();
        model.ledger().closed();
      });
      return t;
    } catch (OrtException e) {
      throw new IllegalArgumentException("could not create a tensor for " + model.file() + ": " + e.getMessage(), e);
    }
  }

  private static void requireDirect(boolean direct, String type) {
    if (!direct) {
      throw new IllegalArgumentException("the " + type + " buffer must be direct (ByteBuffer.allocateDirect with native"
          + " byte order) so ONNX Runtime can read it without a copy");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException first = null;
    for (int i = values.size() - 1; i >= 0; i--) {
      try {
        values.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing a native value failed", e);
        }
      }
    }
    values.clear();
    if (first != null) {
      throw first;
    }
  }

  @FunctionalInterface
  private interface TensorMaker {
    OnnxTensor make() throws OrtException;
  }

  /** A run's outputs, valid until the scope closes. */
  public static final class Outputs {
    private final OrtSession.Result result;

    Outputs(OrtSession.Result result) {
      this.result = result;
    }

    /** An output that was not pinned, as a tensor (valid until the scope closes). */
    public OnnxTensor tensor(String name) {
      Optional<OnnxValue> v = result.get(name);
      if (v.isEmpty() || !(v.get() instanceof OnnxTensor t)) {
        throw new IllegalStateException("the model produced no tensor output '" + name + "'");
      }
      return t;
    }
  }
}
