package dev.ponder.engine.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a model contract expects of one input or output: its name, element type and rank ({@code -1} = any rank).
 */
public record TensorSpec(String name, OnnxJavaType type, int rank) {

  public static TensorSpec int64(String name, int rank) {
    return new TensorSpec(name, OnnxJavaType.INT64, rank);
  }

  public static TensorSpec float32(String name, int rank) {
    return new TensorSpec(name, OnnxJavaType.FLOAT, rank);
  }

  @Override
  public String toString() {
    return name + ": " + type + (rank < 0 ? "" : " rank " + rank);
  }

  /** The mismatch with what the model declares, or {@code null} if it fits. */
  String mismatch(TensorInfo found) {
    if (found == null) {
      return "missing";
    }
    if (found.type != type) {
      return "type " + found.type + " (expected " + type + ")";
    }
    if (rank >= 0 && found.getShape().length != rank) {
      return "shape " + Arrays.toString(found.getShape()) + " (expected rank " + rank + ")";
    }
    return null;
  }

  static String describe(Map<String, TensorInfo> infos) {
    return infos.entrySet().stream()
        .map(e -> e.getKey() + ": " + e.getValue().type + " " + Arrays.toString(e.getValue().getShape()))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
