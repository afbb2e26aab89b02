package dev.ponder.verifiers.onnx;


import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A padded batch of token sequences as the int64 inputs of an encoder-style model: {@code input_ids},
 * {@code attention_mask}, and when the model has them {@code position_ids} ({@code cumsum(mask) - 1}, clipped at 0,
 * so either padding side gives every real token positions 0, 1, 2, ...) and {@code token_type_ids} (zeros).
 */
final class Batch {
  static final Set<String> FED = Set.of("input_ids", "attention_mask", "position_ids", "token_type_ids");

  final int rows;
  final int width;
  final int[] lengths;
  final boolean left;
  private final LongBuffer ids;
  private final LongBuffer mask;
  private final LongBuffer positions;
  private final LongBuffer types;

  Batch(List<long[]> seqs, long padId, boolean left) {
    this.rows = seqs.size();
    this.left = left;
    this.lengths = new int[rows];
    int w = 1;
    for (int b = 0; b < rows; b++) {
      lengths[b] = seqs.get(b).length;
      w = Math.max(w, lengths[b]);
    }
    this.width = w;
    ids = longs(rows * w);
    mask = longs(rows * w);
    positions = longs(rows * w);
    types = longs(rows * w);
    for (int b = 0; b < rows; b++) {
      long[] s = seqs.get(b);
      int start = left ? w - s.length : 0;
      for (int t = 0; t < w; t++) {
        int i = t - start;
        boolean real = i >= 0 && i < s.length;
        ids.put(b * w + t, real ? s[i] : padId);
        mask.put(b * w + t, real ? 1 : 0);
        positions.put(b * w + t, real ? i : 0);
      }
    }
  }

  /** The column of token {@code i} of row {@code b}. */
  int column(int b, int i) {
    return left ? width - lengths[b] + i : i;
  }

  long realTokens() {
    return Arrays.stream(lengths).asLongStream().sum();
  }

  /** The inputs this model declares, from {@link #FED}. */
  Map<String, OnnxTensor> inputs(TensorScope scope, OnnxModel model) {
    Map<String, OnnxTensor> in = new HashMap<>();
    in.put("input_ids", scope.longs(ids, rows, width));
    in.put("attention_mask", scope.longs(mask, rows, width));
    if (model.inputs().containsKey("position_ids")) {
      in.put("position_ids", scope.longs(positions, rows, width));
    }
    if (model.inputs().containsKey("token_type_ids")) {
      in.put("token_type_ids", scope.longs(types, rows, width));
    }
    return in;
  }

  /** @throws ModelContractException when the model has inputs this batch cannot feed */
  static void requireOnlyFedInputs(OnnxModel model, String kind, Set<String> fed) {
    List<String> unknown = model.inputs().keySet().stream().filter(n -> !fed.contains(n)).toList();
    if (!unknown.isEmpty()) {
      throw new ModelContractException(kind + " model " + model.file() + " has inputs " + unknown + " that Ponder does"
          + " not feed; expected only " + fed + " (found " + model.inputs().keySet() + ")");
    }
  }

  static LongBuffer longs(int n) {
    return ByteBuffer.allocateDirect(Math.max(1, n) * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
  }

  static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** The output's values, checked against the expected shape ({@code -1} = any). */
  static float[] read(OnnxTensor t, String what, long... expected) {
    long[] shape = t.getInfo().getShape();
    boolean ok = shape.length == expected.length;
    for (int i = 0; ok && i < shape.length; i++) {
      ok = expected[i] < 0 || shape[i] == expected[i];
    }
    if (!ok) {
      throw new IllegalStateException(what + " has shape " + Arrays.toString(shape) + ", expected "
          + Arrays.toString(expected).replace("-1", "*"));
    }
    FloatBuffer fb = t.getFloatBuffer();
    float[] out = new float[fb.remaining()];
    fb.get(out);
    return out;
  }
}
