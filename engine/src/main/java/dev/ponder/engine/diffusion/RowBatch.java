package dev.ponder.engine.diffusion;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.TensorInfo;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** One batched call of a rows-in, rows-out float model ([B, D] -> [B, E]), with an optional int64 [B] input. */
final class RowBatch {
  private RowBatch() {
  }

  /** The fixed size of axis 1 of a [B, D] tensor, or a contract error naming the found shape. */
  static int fixedWidth(OnnxModel model, String kind, String name, boolean input) {
    TensorInfo info = (input ? model.inputs() : model.outputs()).get(name);
    long d = info.getShape()[1];
    if (d <= 0) {
      throw new ModelContractException(kind + " model " + model.file() + ": " + (input ? "input" : "output") + " '"
          + name + "' has shape " + Arrays.toString(info.getShape()) + "; axis 1 must be a fixed positive size"
          + " (export with a static feature dimension and a dynamic batch axis only)");
    }
    return (int) d;
  }

  /** Runs the model on {@code rows} ([B][inWidth]); returns the output as [B][outWidth], shape-checked. */
  static float[][] run(OnnxModel model, String inName, float[][] rows, int inWidth, String timeName, int[] times,
      String outName, int outWidth) {
    int b = rows.length;
    FloatBuffer in = ByteBuffer.allocateDirect(Math.max(1, b * inWidth) * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < b; i++) {
      if (rows[i].length != inWidth) {
        throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values; " + model.file()
            + " expects '" + inName + "' rows of exactly " + inWidth);
      }
      in.put(rows[i]);
    }
    in.flip();
    try (TensorScope scope = model.scope()) {
      Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
      inputs.put(inName, scope.floats(in, b, inWidth));
      if (timeName != null) {
        LongBuffer t = ByteBuffer.allocateDirect(Math.max(1, b) * Long.BYTES)
            .order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int v : times) {
          t.put(v);
        }
        t.flip();
        inputs.put(timeName, scope.longs(t, b));
      }
      OnnxTensor out = scope.run(inputs, Map.of()).tensor(outName);
      long[] shape = out.getInfo().getShape();
      if (shape.length != 2 || shape[0] != b || shape[1] != outWidth) {
        throw new ModelContractException(model.file() + " returned '" + outName + "' of shape "
            + Arrays.toString(shape) + "; expected [" + b + ", " + outWidth + "]");
      }
      FloatBuffer fb = out.getFloatBuffer();
      float[][] result = new float[b][outWidth];
      for (float[] row : result) {
        fb.get(row);
      }
      return result;
    }
  }
}
