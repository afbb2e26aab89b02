package dev.ponder.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline: the same decode step written directly against ONNX Runtime's Java API, as a careful user would.
 * All data lives in direct, native-order buffers made once; the past is the present output of one prefill of
 * the same P tokens (so both sides feed the same past), written by ONNX Runtime into buffers this class owns.
 *
 * <p>Three ways to make the call, from the leanest up:
 * <ul>
 *   <li>{@link Mode#PINNED}: input and output tensors made once, {@code run(inputs, pinnedOutputs)}: nothing but
 *       the native call. The target ratio is measured against this one.</li>
 *   <li>{@link Mode#FRESH_TENSORS}: like PINNED, but every call wraps the same buffers in new tensors and closes
 *       them afterwards, as a decode loop must (shapes change every step); the engine does this too.</li>
 *   <li>{@link Mode#ORT_OUTPUTS}: input tensors made once, {@code run(inputs)}: ONNX Runtime allocates the outputs
 *       and the Java API wraps each of them.</li>
 * </ul>
 */
final class RawDecodeStep implements DecodeStep {
  enum Mode { PINNED, FRESH_TENSORS, ORT_OUTPUTS }

  private final Mode mode;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final List<OnnxTensor> owned = new ArrayList<>();
  private final Map<String, OnnxTensor> inputs = new HashMap<>();
  private final Map<String, OnnxTensor> outputs = new HashMap<>();
  /** The buffers behind {@link #inputs} and {@link #outputs}, with their shapes, for FRESH_TENSORS. */
  private final Map<String, Buffer> buffers = new HashMap<>();
  private final Map<String, long[]> shapes = new HashMap<>();
  private final List<OnnxTensor> fresh = new ArrayList<>();
  private final Map<String, OnnxTensor> freshInputs = new HashMap<>();
  private final Map<String, OnnxTensor> freshOutputs = new HashMap<>();
  private long steps;

  RawDecodeStep(DecodeInputs in, Mode mode) {
    this.mode = mode;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(1);
      so.setInterOpNumThreads(1);
      this.session = env.createSession(in.modelDir.resolve("model.onnx").toString(), so);
      ModelShape m = ModelShape.read(session);
      int b = in.batch;
      int p = in.pastLength();
      FloatBuffer[] pastKeys = new FloatBuffer[m.layers];
      FloatBuffer[] pastValues = new FloatBuffer[m.layers];
      prefill(in, m, pastKeys, pastValues);

      long[] ids = new long[b];
      long[] positions = new long[b];
      long[] mask = new long[b * (p + 1)];
      Arrays.fill(ids, in.nextToken);
      Arrays.fill(positions, p);
      Arrays.fill(mask, 1);
      input("input_ids", longs(ids), b, 1);
      input("attention_mask", longs(mask), b, p + 1);
      if (m.hasPositionIds) {
        input("position_ids", longs(positions), b, 1);
      }
      for (int l = 0; l < m.layers; l++) {
        input("past_key_values." + l + ".key", pastKeys[l], b, m.heads, p, m.headDim);
        input("past_key_values." + l + ".value", pastValues[l], b, m.heads, p, m.headDim);
        output("present." + l + ".key", floats(b * m.heads * (p + 1) * m.headDim), b, m.heads, p + 1, m.headDim);
        output("present." + l + ".value", floats(b * m.heads * (p + 1) * m.headDim), b, m.heads, p + 1, m.headDim);
      }
      output("logits", floats(b * m.vocab), b, 1, m.vocab);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to set up the raw step: " + e.getMessage(), e);
    }
  }

  /** Runs the P tokens once with an empty past; the present outputs land in {@code keys} / {@code values}. */
  private void prefill(DecodeInputs in, ModelShape m, FloatBuffer[] keys, FloatBuffer[] values) throws OrtException {
    int b = in.batch;
    int p = in.pastLength();
    long[] ids = new long[b * p];
    long[] positions = new long[b * p];
    long[] mask = new long[b * p];
    for (int i = 0; i < b; i++) {
      for (int j = 0; j < p; j++) {
        ids[i * p + j] = in.past[j];
        positions[i * p + j] = j;
        mask[i * p + j] = 1;
      }
    }
    List<OnnxTensor> made = new ArrayList<>();
    Map<String, OnnxTensor> pin = new HashMap<>();
    Map<String, OnnxTensor> feed = new HashMap<>();
    try {
      feed.put("input_ids", track(made, OnnxTensor.createTensor(env, longs(ids), new long[] {b, p})));
      feed.put("attention_mask", track(made, OnnxTensor.createTensor(env, longs(mask), new long[] {b, p})));
      if (m.hasPositionIds) {
        feed.put("position_ids", track(made, OnnxTensor.createTensor(env, longs(positions), new long[] {b, p})));
      }
      long[] empty = {b, m.heads, 0, m.headDim};
      long[] present = {b, m.heads, p, m.headDim};
      for (int l = 0; l < m.layers; l++) {
        keys[l] = floats(b * m.heads * p * m.headDim);
        values[l] = floats(b * m.heads * p * m.headDim);
        feed.put("past_key_values." + l + ".key", track(made, OnnxTensor.createTensor(env, floats(0), empty)));
        feed.put("past_key_values." + l + ".value", track(made, OnnxTensor.createTensor(env, floats(0), empty)));
        pin.put("present." + l + ".key", track(made, OnnxTensor.createTensor(env, keys[l], present)));
        pin.put("present." + l + ".value", track(made, OnnxTensor.createTensor(env, values[l], present)));
      }
      try (OrtSession.Result r = session.run(feed, pin)) {
        if (r.size() != pin.size()) {
          throw new IllegalStateException("prefill returned " + r.size() + " outputs, expected " + pin.size());
        }
      }
    } finally {
      for (OnnxTensor t : made) {
        t.close();
      }
    }
  }

  private static OnnxTensor track(List<OnnxTensor> list, OnnxTensor t) {
    list.add(t);
    return t;
  }

  private void input(String name, Buffer data, long... shape) throws OrtException {
    buffers.put(name, data);
    shapes.put(name, shape);
    inputs.put(name, track(owned, tensor(data, shape)));
  }

  private void output(String name, FloatBuffer data, long... shape) throws OrtException {
    buffers.put(name, data);
    shapes.put(name, shape);
    outputs.put(name, track(owned, tensor(data, shape)));
  }

  private OnnxTensor tensor(Buffer data, long[] shape) throws OrtException {
    return data instanceof FloatBuffer f ? OnnxTensor.createTensor(env, f, shape)
        : OnnxTensor.createTensor(env, (LongBuffer) data, shape);
  }

  @Override
  public void before() {
  }

  @Override
  public Object run() {
    try {
      switch (mode) {
        case PINNED:
          try (OrtSession.Result r = session.run(inputs, outputs)) {
            return r.size();
          }
        case ORT_OUTPUTS:
          try (OrtSession.Result r = session.run(inputs)) {
            return r.size();
          }
        default:
          return runFresh();
      }
    } catch (OrtException e) {
      throw new IllegalStateException("raw run failed: " + e.getMessage(), e);
    }
  }

  private Object runFresh() throws OrtException {
    try {
      for (String name : inputs.keySet()) {
        freshInputs.put(name, track(fresh, tensor(buffers.get(name), shapes.get(name))));
      }
      for (String name : outputs.keySet()) {
        freshOutputs.put(name, track(fresh, tensor(buffers.get(name), shapes.get(name))));
      }
      try (OrtSession.Result r = session.run(freshInputs, freshOutputs)) {
        return r.size();
      }
    } finally {
      for (OnnxTensor t : fresh) {
        t.close();
      }
      fresh.clear();
    }
  }

  @Override
  public void after() {
    steps++;
  }

  @Override
  public String summary() {
    return "raw " + mode + ": " + steps + " steps";
  }

  @Override
  public void close() {
    for (OnnxTensor t : owned) {
      t.close();
    }
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static LongBuffer longs(long[] values) {
    LongBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
    b.put(values).clear();
    return b;
  }

  private static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** Layers, KV heads, head size and vocabulary, from the session's own input and output metadata. */
  record ModelShape(int layers, int heads, int headDim, int vocab, boolean hasPositionIds) {
    static ModelShape read(OrtSession session) throws OrtException {
      Map<String, NodeInfo> in = session.getInputInfo();
      int layers = 0;
      while (in.containsKey("past_key_values." + layers + ".key")) {
        layers++;
      }
      long[] past = ((TensorInfo) in.get("past_key_values.0.key").getInfo()).getShape();
      long[] logits = ((TensorInfo) session.getOutputInfo().get("logits").getInfo()).getShape();
      if (past[1] <= 0 || past[3] <= 0 || logits[2] <= 0) {
        throw new IllegalStateException("the raw baseline needs static KV heads, head size and vocabulary in the"
            + " model's metadata; past_key_values.0.key is " + Arrays.toString(past) + ", logits is "
            + Arrays.toString(logits));
      }
      return new ModelShape(layers, (int) past[1], (int) past[3], (int) logits[2], in.containsKey("position_ids"));
    }
  }
}
