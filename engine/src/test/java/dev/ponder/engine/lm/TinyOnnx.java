package dev.ponder.engine.lm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tiny ONNX decoders for tests, in protobuf wire format by hand: {@code logits = Gather(embedding,
 * input_ids)} with inputs {@code input_ids} and {@code attention_mask} [batch, seq] and output {@code logits}
 * [batch, seq, V] (V fixed or symbolic), plus any extra initializers (position tables, rotary caches) whose
 * shapes a loader reads. No KV cache: enough to test what is read from a graph, not to decode well.
 */
final class TinyOnnx {
  private final Map<String, long[]> extra = new LinkedHashMap<>();
  private final String embeddingName;
  private final int vocab;
  private final boolean staticVocab;

  private TinyOnnx(String embeddingName, int vocab, boolean staticVocab) {
    this.embeddingName = embeddingName;
    this.vocab = vocab;
    this.staticVocab = staticVocab;
  }

  /** A decoder whose embedding table {@code embeddingName} is [vocab, vocab]; logits' last axis fixed or not. */
  static TinyOnnx decoder(String embeddingName, int vocab, boolean staticVocab) {
    return new TinyOnnx(embeddingName, vocab, staticVocab);
  }

  /** An extra float initializer of this shape (zeros), e.g. a position table. */
  TinyOnnx initializer(String name, long... shape) {
    extra.put(name, shape);
    return this;
  }

  byte[] bytes() {
    Proto graph = new Proto();
    graph.message(1, new Proto().string(1, embeddingName).string(1, "input_ids").string(2, "logits")
        .string(3, "gather").string(4, "Gather").message(5, new Proto().string(1, "axis").varint(3, 0).varint(20, 2)));
    graph.string(2, "tiny");
    graph.message(5, tensor(embeddingName, vocab, vocab));
    extra.forEach((name, shape) -> graph.message(5, tensor(name, shape)));
    if (!staticVocab) { // an overridable initializer: shape inference sees only the input's symbolic shape
      graph.message(11, valueInfo(embeddingName, 1, "rows", "width"));
    }
    graph.message(11, valueInfo("input_ids", 7, "batch", "seq"));
    graph.message(11, valueInfo("attention_mask", 7, "batch", "seq"));
    graph.message(12, valueInfo("logits", 1, "batch", "seq", staticVocab ? vocab : "vocab"));
    return new Proto().varint(1, 8).string(2, "ponder-tests").message(7, graph)
        .message(8, new Proto().string(1, "").varint(2, 17)).toBytes();
  }

  private static Proto tensor(String name, long... shape) {
    Proto t = new Proto();
    long count = 1;
    for (long d : shape) {
      t.varint(1, d);
      count *= d;
    }
    ByteBuffer data = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      data.putFloat(i * 4, (i % 7) * 0.25f);
    }
    return t.varint(2, 1).string(8, name).bytes(9, data.array());
  }

  private static Proto valueInfo(String name, int elemType, Object... dims) {
    Proto shape = new Proto();
    for (Object d : dims) {
      shape.message(1, d instanceof Integer n ? new Proto().varint(1, n) : new Proto().string(2, (String) d));
    }
    Proto tensorType = new Proto().varint(1, elemType).message(2, shape);
    return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
  }

  /** A protobuf message being written. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long value) {
      raw((long) field << 3);
      raw(value);
      return this;
    }

    Proto bytes(int field, byte[] value) {
      raw((long) field << 3 | 2);
      raw(value.length);
      out.writeBytes(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto value) {
      return bytes(field, value.toBytes());
    }

    byte[] toBytes() {
      return out.toByteArray();
    }

    private void raw(long v) {
      while ((v & ~0x7fL) != 0) {
        out.write((int) (v & 0x7f) | 0x80);
        v >>>= 7;
      }
      out.write((int) v);
    }
  }
}
