package dev.ponder.engine.onnx;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The names and shapes of a model's initializers (its weights), read from the ONNX protobuf without reading the
 * weights themselves: ONNX Runtime's Java API does not expose them, and a model's own tables are the ground truth
 * for what its {@code config.json} claims (the embedding table's rows are the vocabulary, a learned position
 * table's rows the positions it handles).
 *
 * <p>Reads only the fields it needs ({@code ModelProto.graph = 7}, {@code GraphProto.initializer = 5},
 * {@code TensorProto.dims = 1} and {@code name = 8}) and skips every other field, weights included, without
 * buffering them.
 */
final class Initializers {
  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_NAME = 8;

  private final InputStream in;
  private long position;

  private Initializers(InputStream in) {
    this.in = in;
  }

  /**
   * Shapes by initializer name, in the graph's order.
   *
   * @throws IOException when the stream is not a well-formed ONNX model
   */
  static Map<String, long[]> read(InputStream stream) throws IOException {
    Initializers r = new Initializers(new BufferedInputStream(stream, 1 << 16));
    Map<String, long[]> out = new LinkedHashMap<>();
    while (true) {
      long tag = r.varintOrEnd();
      if (tag < 0) {
        return Collections.unmodifiableMap(out);
      }
      if (tag >>> 3 == MODEL_GRAPH && (tag & 7) == 2) {
        long end = r.length();
        while (r.position < end) {
          long t = r.varint();
          if (t >>> 3 == GRAPH_INITIALIZER && (t & 7) == 2) {
            r.tensor(r.length(), out);
          } else {
            r.skip(t);
          }
        }
      } else {
        r.skip(tag);
      }
    }
  }

  private void tensor(long end, Map<String, long[]> out) throws IOException {
    long[] dims = new long[0];
    String name = null;
    while (position < end) {
      long t = varint();
      int field = (int) (t >>> 3);
      if (field == TENSOR_DIMS && (t & 7) == 0) {
        dims = append(dims, varint());
      } else if (field == TENSOR_DIMS && (t & 7) == 2) {
        long packedEnd = length();
        while (position < packedEnd) {
          dims = append(dims, varint());
        }
      } else if (field == TENSOR_NAME && (t & 7) == 2) {
        name = new String(bytes((int) (length() - position)), java.nio.charset.StandardCharsets.UTF_8);
      } else {
        skip(t);
      }
    }
    if (position != end) {
      throw new IOException("malformed ONNX initializer (field overran its message at byte " + position + ")");
    }
    if (name != null) {
      out.put(name, dims);
    }
  }

  private static long[] append(long[] a, long v) {
    long[] b = java.util.Arrays.copyOf(a, a.length + 1);
    b[a.length] = v;
    return b;
  }

  /** Reads a length prefix; returns the position where the field ends. */
  private long length() throws IOException {
    long n = varint();
    if (n < 0) {
      throw new IOException("malformed ONNX protobuf: negative length at byte " + position);
    }
    return position + n;
  }

  private void skip(long tag) throws IOException {
    switch ((int) (tag & 7)) {
      case 0 -> varint();
      case 1 -> skipBytes(8);
      case 2 -> skipBytes(length() - position);
      case 5 -> skipBytes(4);
      default -> throw new IOException("not an ONNX model: protobuf wire type " + (tag & 7) + " at byte " + position);
    }
  }

  private void skipBytes(long n) throws IOException {
    long left = n;
    while (left > 0) {
      long k = in.skip(left);
      if (k <= 0) {
        if (in.read() < 0) {
          throw new EOFException("truncated ONNX model at byte " + position);
        }
        k = 1;
      }
      left -= k;
      position += k;
    }
  }

  private byte[] bytes(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new EOFException("truncated ONNX model at byte " + position);
    }
    position += n;
    return b;
  }

  /** The next varint, or -1 at a clean end of the stream. */
  private long varintOrEnd() throws IOException {
    int b = in.read();
    if (b < 0) {
      return -1;
    }
    position++;
    return varintFrom(b);
  }

  private long varint() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("truncated ONNX model at byte " + position);
    }
    position++;
    return varintFrom(b);
  }

  private long varintFrom(int first) throws IOException {
    long v = first & 0x7f;
    int shift = 7;
    int b = first;
    while ((b & 0x80) != 0) {
      if (shift > 63) {
        throw new IOException("malformed ONNX protobuf: varint too long at byte " + position);
      }
      b = in.read();
      if (b < 0) {
        throw new EOFException("truncated ONNX model at byte " + position);
      }
      position++;
      v |= (long) (b & 0x7f) << shift;
      shift += 7;
    }
    return v;
  }
}
