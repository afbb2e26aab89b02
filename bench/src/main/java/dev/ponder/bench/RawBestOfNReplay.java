package dev.ponder.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmTokenizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model calls of one best-of-N search (policy and ORM), replayed straight through {@code OrtSession.run}, as a
 * careful user who knew the call sequence would make them: the denominator of the whole-search overhead in
 * {@link SearchOverheadBenchmark}.
 *
 * <p><b>The sequence, rebuilt from the search's result.</b> Sample i generated g_i tokens (its candidate's
 * {@code tokens()}), the last one end-of-sequence or the cut at the maximum length. The engine makes:
 * call 0, the prefill of the P0 prompt tokens as one row ({@code [1, P0]}, empty past); then call j = 1 ..
 * max(g) - 1 with the B_j = #{i : g_i > j} samples whose j-th token did not end them, one token each over a
 * past of P0 + j - 1 positions (a sample leaves the batch as soon as its token ends it, so no call has padding);
 * then one ORM call over the distinct texts, {@code prompt + text} right-padded to the longest.
 * The constructor checks the rebuilt sequence against the search's own counters (model calls, policy tokens,
 * padding tokens, verifier calls and tokens) and fails if any differs. The token contents are the candidates'
 * texts re-encoded (plus the end-of-sequence token), so each row feeds what it fed in the search.
 *
 * <p><b>What the replay does per search.</b> Prefill into pinned buffers; copy the prompt row into B_1 rows;
 * each decode call reads the previous call's present buffer as its past (ping-pong between two buffers) and writes
 * its present and logits into pinned buffers; when samples finish, the surviving rows are moved down in place (one
 * bulk copy per moved row, rows in the search's ranking order); then the ORM call with pinned logits. With
 * {@code precreated} every tensor of every call is made once up front (the leanest possible: only the native calls
 * and the row moves are timed); otherwise each call wraps the same buffers in new tensors and closes them, as a
 * decode loop whose shapes change every step must. Not included, by construction: sampling (softmax and the
 * draw), detokenizing, encoding the ORM's inputs, the ORM score transform and the selection; the engine side does
 * all of these.
 */
final class RawBestOfNReplay implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession policy;
  private final OrtSession orm;
  private final boolean precreated;
  private final List<Call> calls = new ArrayList<>();
  private final List<OnnxTensor> owned = new ArrayList<>();
  private final List<OnnxTensor> fresh = new ArrayList<>();
  /** The prefill's present rows ([1, H, P0, D] per layer) and the two ping-pong KV buffers per layer. */
  private final FloatBuffer[] promptKeys;
  private final FloatBuffer[] promptValues;
  private final FloatBuffer[][] kv;
  private final int layers;
  private final int rowPrompt;
  private final int rows1;
  final String description;

  /** One ONNX call: its inputs and pinned outputs as buffers with shapes, and the row moves that follow it. */
  private static final class Call {
    final OrtSession session;
    final Map<String, FloatBuffer> floats = new HashMap<>();
    final Map<String, LongBuffer> longs = new HashMap<>();
    final Map<String, long[]> shapes = new HashMap<>();
    final Set<String> outputs = new LinkedHashSet<>();
    /** After the call: in buffer {@code movesIn}, row moves[2k] goes to row moves[2k + 1], each {@code rowFloats}. */
    int[] moves = new int[0];
    int movesIn;
    int rowFloats;
    Map<String, OnnxTensor> in;
    Map<String, OnnxTensor> out;

    Call(OrtSession session) {
      this.session = session;
    }
  }

  RawBestOfNReplay(LanguageModel lm, Path ormDir, String prompt, SearchResult r, boolean precreated) {
    this.precreated = precreated;
    this.layers = lm.layers();
    int h = lm.kvHeads();
    int d = lm.headDim();
    int v = lm.vocabSize();
    int[] promptIds = lm.encode(prompt);
    int p0 = promptIds.length;
    List<Candidate> cs = r.candidates();
    int n = cs.size();
    int[] g = new int[n];
    int[][] tokens = new int[n][];
    int eos = lm.eosTokenIds().iterator().next();
    int maxG = 0;
    for (int i = 0; i < n; i++) {
      Candidate c = cs.get(i);
      g[i] = c.tokens();
      int[] text = lm.encode(c.text());
      tokens[i] = java.util.Arrays.copyOf(text, Math.max(g[i], text.length));
      if (c.finished() && text.length < g[i]) {
        tokens[i][text.length] = eos;
      }
      maxG = Math.max(maxG, g[i]);
    }
    int maxRows = 0;
    for (int j = 1; j < maxG; j++) {
      maxRows = Math.max(maxRows, live(g, j + 1));
    }
    this.rows1 = live(g, 2);
    this.rowPrompt = h * p0 * d;
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(1);
      so.setInterOpNumThreads(1);
      this.policy = env.createSession(lm.directory().resolve("model.onnx").toString(), so);
      this.orm = env.createSession(ormDir.resolve("model.onnx").toString(), so);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load the replay's models: " + e.getMessage(), e);
    }
    boolean positions = lm.hasPositionIds();
    int kvFloats = Math.max(1, maxRows * h * (p0 + maxG) * d);
    promptKeys = new FloatBuffer[layers];
    promptValues = new FloatBuffer[layers];
    kv = new FloatBuffer[2][2 * layers];
    for (int l = 0; l < layers; l++) {
      promptKeys[l] = floats(rowPrompt);
      promptValues[l] = floats(rowPrompt);
    }
    for (int k = 0; k < 2 * layers; k++) {
      kv[0][k] = floats(kvFloats);
      kv[1][k] = floats(kvFloats);
    }

    // Call 0: prefill, one row.
    long modelCalls = 1;
    long policyTokens = p0;
    final long padding = 0; // stays 0: every row of every call feeds one token (checked against the search)
    Call pre = new Call(policy);
    long[] ids = new long[p0];
    long[] ones = new long[p0];
    long[] pos = new long[p0];
    for (int t = 0; t < p0; t++) {
      ids[t] = promptIds[t];
      ones[t] = 1;
      pos[t] = t;
    }
    pre.longs.put("input_ids", longs(ids));
    pre.longs.put("attention_mask", longs(ones));
    if (positions) {
      pre.longs.put("position_ids", longs(pos));
    }
    for (String name : List.of("input_ids", "attention_mask", "position_ids")) {
      pre.shapes.put(name, new long[] {1, p0});
    }
    for (int l = 0; l < layers; l++) {
      kvInput(pre, l, floats(0), floats(0), 1, h, 0, d);
      kvOutput(pre, l, promptKeys[l], promptValues[l], 1, h, p0, d);
    }
    pre.floats.put("logits", floats(p0 * v));
    pre.shapes.put("logits", new long[] {1, p0, v});
    pre.outputs.add("logits");
    calls.add(pre);

    // Calls 1 .. maxG - 1: one token per live sample; rows are the live samples in ranking order.
    int[] liveRows = new int[n];
    int b = 0;
    for (int i = 0; i < n; i++) {
      if (g[i] > 1) {
        liveRows[b++] = i;
      }
    }
    for (int j = 1; j < maxG; j++) {
      int p = p0 + j - 1;
      Call c = new Call(policy);
      long[] cid = new long[b];
      long[] cmask = new long[b * (p + 1)];
      long[] cpos = new long[b];
      java.util.Arrays.fill(cmask, 1);
      for (int k = 0; k < b; k++) {
        cid[k] = tokens[liveRows[k]][j - 1];
        cpos[k] = p;
      }
      policyTokens += b;
      c.longs.put("input_ids", longs(cid));
      c.longs.put("attention_mask", longs(cmask));
      if (positions) {
        c.longs.put("position_ids", longs(cpos));
      }
      c.shapes.put("input_ids", new long[] {b, 1});
      c.shapes.put("position_ids", new long[] {b, 1});
      c.shapes.put("attention_mask", new long[] {b, p + 1});
      FloatBuffer[] past = kv[(j + 1) % 2];
      FloatBuffer[] present = kv[j % 2];
      for (int l = 0; l < layers; l++) {
        kvInput(c, l, past[2 * l], past[2 * l + 1], b, h, p, d);
        kvOutput(c, l, present[2 * l], present[2 * l + 1], b, h, p + 1, d);
      }
      c.floats.put("logits", floats(b * v));
      c.shapes.put("logits", new long[] {b, 1, v});
      c.outputs.add("logits");
      // The samples whose next token ends them leave the batch: move the survivors down in the present buffer.
      List<Integer> moves = new ArrayList<>();
      int kept = 0;
      for (int k = 0; k < b; k++) {
        if (g[liveRows[k]] > j + 1) {
          if (kept != k) {
            moves.add(k);
            moves.add(kept);
          }
          liveRows[kept++] = liveRows[k];
        }
      }
      c.moves = moves.stream().mapToInt(Integer::intValue).toArray();
      c.movesIn = j % 2;
      c.rowFloats = h * (p + 1) * d;
      b = kept;
      calls.add(c);
      modelCalls++;
    }

    // The ORM: each distinct text once, prompt + text, right-padded.
    Set<String> distinct = new LinkedHashSet<>();
    for (Candidate c : cs) {
      distinct.add(c.text());
    }
    List<int[]> seqs = new ArrayList<>();
    int width = 1;
    long verifierTokens = 0;
    try (LmTokenizer t = LmTokenizer.load(ormDir.resolve("tokenizer.json"))) {
      for (String text : distinct) {
        int[] s = t.encode(prompt + text);
        seqs.add(s);
        width = Math.max(width, s.length);
        verifierTokens += s.length;
      }
    }
    Call o = new Call(orm);
    int rows = seqs.size();
    long[] oid = new long[rows * width];
    long[] omask = new long[rows * width];
    long[] opos = new long[rows * width];
    for (int k = 0; k < rows; k++) {
      int[] s = seqs.get(k);
      for (int t = 0; t < s.length; t++) {
        oid[k * width + t] = s[t];
        omask[k * width + t] = 1;
        opos[k * width + t] = t;
      }
    }
    o.longs.put("input_ids", longs(oid));
    o.longs.put("attention_mask", longs(omask));
    Set<String> ormInputs;
    long labels;
    try {
      ormInputs = orm.getInputNames();
      labels = ((ai.onnxruntime.TensorInfo) orm.getOutputInfo().get("logits").getInfo()).getShape()[1];
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
    if (ormInputs.contains("position_ids")) {
      o.longs.put("position_ids", longs(opos));
    }
    if (ormInputs.contains("token_type_ids")) {
      o.longs.put("token_type_ids", longs(new long[rows * width]));
    }
    for (String name : o.longs.keySet()) {
      o.shapes.put(name, new long[] {rows, width});
    }
    labels = labels > 0 ? labels : 1;
    o.floats.put("logits", floats((int) (rows * labels)));
    o.shapes.put("logits", new long[] {rows, labels});
    o.outputs.add("logits");
    calls.add(o);

    SearchStats s = r.stats();
    if (modelCalls != s.modelCalls() || policyTokens != s.policyTokens() || padding != s.paddingTokens()
        || s.verifierCalls() != 1 || verifierTokens != s.verifierTokens()) {
      throw new IllegalStateException("the rebuilt call sequence does not match the search: model calls " + modelCalls
          + " vs " + s.modelCalls() + ", policy tokens " + policyTokens + " vs " + s.policyTokens() + ", padding "
          + padding + " vs " + s.paddingTokens() + ", verifier calls 1 vs " + s.verifierCalls() + ", verifier tokens "
          + verifierTokens + " vs " + s.verifierTokens());
    }
    int moved = calls.stream().mapToInt(c -> c.moves.length / 2).sum();
    description = String.format("%d policy calls (prefill [1, %d], then %d decode calls, batch %d down to %d, past %d"
            + " to %d), %d row moves, 1 ORM call [%d, %d]; matches the search's counters (%d policy tokens, %d padding,"
            + " %d verifier tokens); tensors %s", modelCalls, p0, modelCalls - 1, rows1, lastDecodeRows(),
        p0, p0 + maxG - 2, moved, rows, width, policyTokens, padding, verifierTokens,
        precreated ? "made once up front" : "made fresh for every call");
    if (precreated) {
      for (Call c : calls) {
        c.in = new HashMap<>();
        c.out = new HashMap<>();
        makeTensors(c, owned);
      }
    }
  }

  private int lastDecodeRows() {
    if (calls.size() < 3) {
      return 0;
    }
    return (int) calls.get(calls.size() - 2).shapes.get("input_ids")[0];
  }

  private static int live(int[] g, int j) {
    int b = 0;
    for (int x : g) {
      b += x >= j ? 1 : 0;
    }
    return b;
  }

  private void kvInput(Call c, int l, FloatBuffer keys, FloatBuffer values, long b, long h, long p, long d) {
    c.floats.put("past_key_values." + l + ".key", keys);
    c.floats.put("past_key_values." + l + ".value", values);
    c.shapes.put("past_key_values." + l + ".key", new long[] {b, h, p, d});
    c.shapes.put("past_key_values." + l + ".value", new long[] {b, h, p, d});
  }

  private void kvOutput(Call c, int l, FloatBuffer keys, FloatBuffer values, long b, long h, long p, long d) {
    String k = "present." + l + ".key";
    String v = "present." + l + ".value";
    c.floats.put(k, keys);
    c.floats.put(v, values);
    c.shapes.put(k, new long[] {b, h, p, d});
    c.shapes.put(v, new long[] {b, h, p, d});
    c.outputs.add(k);
    c.outputs.add(v);
  }

  private void makeTensors(Call c, List<OnnxTensor> track) {
    try {
      for (Map.Entry<String, LongBuffer> e : c.longs.entrySet()) {
        OnnxTensor t = OnnxTensor.createTensor(env, e.getValue(), c.shapes.get(e.getKey()));
        track.add(t);
        c.in.put(e.getKey(), t);
      }
      for (Map.Entry<String, FloatBuffer> e : c.floats.entrySet()) {
        long[] shape = c.shapes.get(e.getKey());
        FloatBuffer view = e.getValue().duplicate().clear().limit(Math.toIntExact(count(shape))).slice();
        OnnxTensor t = OnnxTensor.createTensor(env, view, shape);
        track.add(t);
        (c.outputs.contains(e.getKey()) ? c.out : c.in).put(e.getKey(), t);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("cannot make the replay's tensors: " + e.getMessage(), e);
    }
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long x : shape) {
      n *= x;
    }
    return n;
  }

  /** The whole replay: every policy call, the row copies between them, and the ORM call. */
  long run() {
    long outputs = 0;
    try {
      for (int k = 0; k < calls.size(); k++) {
        Call c = calls.get(k);
        if (!precreated) {
          c.in = new HashMap<>();
          c.out = new HashMap<>();
          makeTensors(c, fresh);
        }
        try (OrtSession.Result r = c.session.run(c.in, c.out)) {
          outputs += r.size();
        } finally {
          for (OnnxTensor t : fresh) {
            t.close();
          }
          fresh.clear();
        }
        if (k == 0) {
          copyPromptRows();
        }
        moveRows(c);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("replayed call failed: " + e.getMessage(), e);
    }
    return outputs;
  }

  /** The prompt's KV row copied into each of the first decode call's rows (its past buffer). */
  private void copyPromptRows() {
    FloatBuffer[] past = kv[0];
    for (int l = 0; l < layers; l++) {
      for (int row = 0; row < rows1; row++) {
        past[2 * l].put(row * rowPrompt, promptKeys[l], 0, rowPrompt);
        past[2 * l + 1].put(row * rowPrompt, promptValues[l], 0, rowPrompt);
      }
    }
  }

  private void moveRows(Call c) {
    if (c.moves.length == 0) {
      return;
    }
    FloatBuffer[] buffers = kv[c.movesIn];
    for (FloatBuffer buf : buffers) {
      for (int m = 0; m < c.moves.length; m += 2) {
        buf.put(c.moves[m + 1] * c.rowFloats, buf, c.moves[m] * c.rowFloats, c.rowFloats);
      }
    }
  }

  @Override
  public void close() {
    for (OnnxTensor t : owned) {
      t.close();
    }
    try {
      policy.close();
      orm.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  private static LongBuffer longs(long[] values) {
    LongBuffer b = ByteBuffer.allocateDirect(Math.max(1, values.length) * 8).order(ByteOrder.nativeOrder())
        .asLongBuffer();
    b.put(values).clear();
    return b;
  }

  private static FloatBuffer floats(int n) {
    return ByteBuffer.allocateDirect(Math.max(1, n) * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
