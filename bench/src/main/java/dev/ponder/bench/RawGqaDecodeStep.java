package dev.ponder.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code OrtSession.run} alone on a GroupQueryAttention export, doing the model work of {@link ContinuingDecodeStep}
 * there: {@code batch} rows of one token each over a past that grows from P + 1 to P + cycle - 1 positions, past
 * and present bound to one buffer of 64 positions (written in place), every tensor made once (one mask tensor per
 * past length). The rows' KV holds the prefill of the same past, so the attention reads real keys. Layers, KV
 * heads and head size come from genai_config.json; the vocabulary is the character tokenizer's 30. A graph that takes
 * {@code position_ids} (GPT-2's learned positions, countdown/policy-gqa) gets each new token's position, mask length - 1.
 */
final class RawGqaDecodeStep implements DecodeStep {
  private static final int CAPACITY = 64;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final List<OnnxTensor> made = new ArrayList<>();
  private final Map<String, OnnxTensor> inputs = new HashMap<>();
  private final Map<String, OnnxTensor> outputs = new HashMap<>();
  private final OnnxTensor[] masks;
  /** Per step of the cycle, the rows' position ids, when the graph takes them (GPT-2's learned positions). */
  private final OnnxTensor[] positions;
  private final int first;
  private int step;
  private long runs;

  RawGqaDecodeStep(DecodeInputs in, int cycle) {
    try {
      OrtSession.SessionOptions so = new OrtSession.SessionOptions();
      so.setIntraOpNumThreads(1);
      so.setInterOpNumThreads(1);
      session = env.createSession(in.modelDir.resolve("model.onnx").toString(), so);
      int b = in.batch;
      int p = in.past.length;
      com.fasterxml.jackson.databind.JsonNode decoder = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(in.modelDir.resolve("genai_config.json").toFile()).path("model").path("decoder");
      int layers = decoder.path("num_hidden_layers").asInt();
      int kvHeads = decoder.path("num_key_value_heads").asInt();
      int headDim = decoder.path("head_size").asInt();
      int vocab = 30;
      first = p + 1;
      if (first + cycle > CAPACITY) {
        throw new IllegalArgumentException("past " + p + " + cycle " + cycle + " passes the buffer's " + CAPACITY);
      }
      long[] shape = {b, kvHeads, CAPACITY, headDim};
      for (String kv : List.of("key", "value")) {
        for (int l = 0; l < layers; l++) {
          FloatBuffer buf = ByteBuffer.allocateDirect(b * kvHeads * CAPACITY * headDim * 4)
              .order(ByteOrder.nativeOrder()).asFloatBuffer();
          inputs.put("past_key_values." + l + "." + kv, tensor(buf, shape));
          outputs.put("present." + l + "." + kv, tensor(buf.duplicate(), shape));
        }
      }
      // prefill: the rows' past, written into the shared buffers
      LongBuffer ids = longs(b * p);
      for (int i = 0; i < b; i++) {
        for (int t = 0; t < p; t++) {
          ids.put(i * p + t, in.past[t]);
        }
      }
      Map<String, OnnxTensor> prefill = new HashMap<>(inputs);
      prefill.put("input_ids", tensor(ids, new long[] {b, p}));
      prefill.put("attention_mask", tensor(ones(b * p), new long[] {b, p}));
      boolean takesPositions = session.getInputNames().contains("position_ids");
      if (takesPositions) {
        LongBuffer pos = longs(b * p);
        for (int i = 0; i < b * p; i++) {
          pos.put(i, i % p);
        }
        prefill.put("position_ids", tensor(pos, new long[] {b, p}));
      }
      Map<String, OnnxTensor> prefillOut = new HashMap<>(outputs);
      prefillOut.put("logits", tensor(floats(b * p * vocab), new long[] {b, p, vocab}));
      session.run(prefill, Set.of(), prefillOut).close();
      LongBuffer next = longs(b);
      for (int i = 0; i < b; i++) {
        next.put(i, in.nextToken);
      }
      inputs.put("input_ids", tensor(next, new long[] {b, 1}));
      outputs.put("logits", tensor(floats(b * vocab), new long[] {b, 1, vocab}));
      masks = new OnnxTensor[cycle];
      positions = new OnnxTensor[takesPositions ? cycle : 0];
      for (int k = 0; k < cycle; k++) {
        masks[k] = tensor(ones(b * (first + k)), new long[] {b, first + k});
        if (takesPositions) { // the new token lands at position (mask length - 1)
          LongBuffer pos = longs(b);
          for (int i = 0; i < b; i++) {
            pos.put(i, first + k - 1);
          }
          positions[k] = tensor(pos, new long[] {b, 1});
        }
      }
    } catch (OrtException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private OnnxTensor tensor(Object data, long[] shape) throws OrtException {
    OnnxTensor t = data instanceof FloatBuffer f ? OnnxTensor.createTensor(env, f, shape)
        : OnnxTensor.createTensor(env, (LongBuffer) data, shape);
    made.add(t);
    return t;
  }

  private static LongBuffer longs(int n) {
    return ByteBuffer.allocateDirect(n * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
  }

  private static LongBuffer ones(int n) {
    LongBuffer b = longs(n);
    for (int i = 0; i < n; i++) {
      b.put(i, 1);
    }
    return b;
  }

  private static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  @Override
  public void before() {
    step = (step + 1) % masks.length; // past lengths first .. first + cycle - 1, as ContinuingDecodeStep's
    inputs.put("attention_mask", masks[step]);
    if (positions.length > 0) {
      inputs.put("position_ids", positions[step]);
    }
  }

  @Override
  public Object run() {
    try (OrtSession.Result r = session.run(inputs, Set.of(), outputs)) {
      runs++;
      return r;
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void after() {
  }

  @Override
  public String summary() {
    return "raw OrtSession.run on the GroupQueryAttention export, shared 64-position buffer: " + runs + " runs";
  }

  @Override
  public void close() {
    made.forEach(OnnxTensor::close);
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
