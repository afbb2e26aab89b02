package dev.ponder.verifiers.onnx;

import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.onnx.DecoderInputs;
import dev.ponder.engine.onnx.KvCacheLayout;
import dev.ponder.engine.onnx.ModelContract;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import dev.ponder.engine.onnx.TensorSpec;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One batched call of a token-classification model over rows that each continue a cached prefix (or start from
 * nothing): the KV-cache layout of a decoder ({@code past_key_values.{i}.key|value [B, heads, P, head_dim]} in,
 * {@code present.{i}.*} out), or a plain export without a cache (every row starts from nothing).
 *
 * <p>Layout of a cached call with rows of past lengths {@code P_b} and new lengths {@code S_b}: the past is padded
 * on the left to {@code P = max P_b}, the new tokens on the right to {@code S = max S_b}; the attention mask is 1
 * exactly on each row's real past and real new tokens, and {@code position_ids} are {@code P_b + t}. A key is visible
 * to a query when it is not later and its mask is 1, so each real token sees exactly its own prefix, as if its
 * row were alone.
 *
 * <p>Used by the process reward model (scores at step ends) and by a cached outcome reward model (the score at a
 * text's last token, over its prompt's cached state).
 */
final class PrmForward {
  /** A cached prefix: its last segment's KV ({@code [layer][k|v][head][segment][dim]}) and the logits at its end. */
  static final class Node {
    final Node parent;
    final int length;
    final int segment;
    final float[] kv;
    final float[] logits;

    Node(Node parent, int length, int segment, float[] kv, float[] logits) {
      this.parent = parent;
      this.length = length;
      this.segment = segment;
      this.kv = kv;
      this.logits = logits;
    }
  }

  /** Continue {@code parent} (null: from nothing) with {@code tokens}; read logits at each of {@code cuts} (exclusive ends). */
  record Row(Node parent, long[] tokens, int[] cuts) {}

  private final OnnxModel model;
  final boolean cached;
  final int layers;
  final int heads;
  final int headDim;
  final int labels;
  private final long padId;

  PrmForward(OnnxModel model, ModelDir files, int labels, long padId) {
    this.model = model;
    this.labels = labels;
    this.padId = padId;
    KvCacheLayout kv = KvCacheLayout.read(model, files.config());
    this.cached = kv.cached();
    this.layers = kv.layers();
    this.heads = kv.kvHeads();
    this.headDim = kv.headDim();
  }

  /**
   * Adds the KV-cache inputs and outputs {@code model} declares ({@code past_key_values.{i}.key|value},
   * {@code present.{i}.*}, and then {@code position_ids}) to {@code contract}; returns every input a call feeds.
   *
   * @throws ModelContractException when a cached model also wants token_type_ids, which cached calls do not feed
   */
  static Set<String> addCache(ModelContract contract, OnnxModel model, String kind) {
    Set<String> fed = new HashSet<>(Batch.FED);
    boolean cached = model.inputs().containsKey(KvCacheLayout.pastName(0, true));
    for (int l = 0; model.inputs().containsKey(KvCacheLayout.pastName(l, true)); l++) {
      for (boolean key : List.of(true, false)) {
        contract.input(TensorSpec.float32(KvCacheLayout.pastName(l, key), 4));
        contract.output(TensorSpec.float32(KvCacheLayout.presentName(l, key), 4));
        fed.add(KvCacheLayout.pastName(l, key));
      }
    }
    if (cached) {
      contract.input(TensorSpec.int64("position_ids", 2));
    }
    if (cached && model.inputs().containsKey("token_type_ids")) {
      throw new ModelContractException(kind + " model " + model.file() + " has both a KV cache and"
          + " token_type_ids; incremental scoring feeds input_ids, attention_mask, position_ids and the cache only");
    }
    return fed;
  }

  /** Floats of KV state per token. */
  int kvFloatsPerToken() {
    return layers * 2 * heads * headDim;
  }

  /** Runs the rows in one call; returns, per row, the nodes for its cuts (each a child of the previous). */
  List<Node[]> run(List<Row> rows) {
    return run(rows, true);
  }

  /**
   * Like {@link #run(List)}; with {@code keepState} false the nodes hold logits only (no KV is copied out of the
   * call), for rows that nothing will continue.
   */
  List<Node[]> run(List<Row> rows, boolean keepState) {
    return cached ? runCached(rows, keepState) : runPlain(rows);
  }

  private List<Node[]> runPlain(List<Row> rows) {
    List<long[]> seqs = new ArrayList<>();
    for (Row r : rows) {
      seqs.add(r.tokens());
    }
    Batch batch = new Batch(seqs, padId, false);
    List<Node[]> out = new ArrayList<>();
    try (TensorScope scope = model.scope()) {
      float[] logits = Batch.read(scope.run(batch.inputs(scope, model), Map.of()).tensor("logits"),
          "process reward logits", batch.rows, batch.width, labels);
      for (int b = 0; b < rows.size(); b++) {
        out.add(nodes(rows.get(b), logits, b * batch.width, null, 0, 0, 0));
      }
    }
    return out;
  }

  private List<Node[]> runCached(List<Row> rows, boolean keepState) {
    int bsz = rows.size();
    int pmax = 0;
    int smax = 1;
    for (Row r : rows) {
      pmax = Math.max(pmax, r.parent() == null ? 0 : r.parent().length);
      smax = Math.max(smax, r.tokens().length);
    }
    int total = pmax + smax;
    LongBuffer ids = Batch.longs(bsz * smax);
    LongBuffer mask = Batch.longs(bsz * total);
    LongBuffer pos = Batch.longs(bsz * smax);
    DecoderInputs layout = new DecoderInputs(ids, mask, pos, pmax, smax, padId, false);
    for (int b = 0; b < bsz; b++) {
      Row r = rows.get(b);
      long[] tokens = r.tokens();
      layout.row(b, null, 0, r.parent() == null ? 0 : r.parent().length, t -> tokens[t], 0, tokens.length);
    }
    int plane = heads * pmax * headDim;
    FloatBuffer[] past = new FloatBuffer[layers * 2];
    for (int i = 0; i < past.length; i++) {
      past[i] = Batch.floats(bsz * plane);
    }
    for (int b = 0; b < bsz; b++) {
      fillPast(past, b, rows.get(b).parent(), pmax);
    }
    List<Node[]> out = new ArrayList<>();
    try (TensorScope scope = model.scope()) {
      Map<String, OnnxTensor> in = new HashMap<>();
      in.put("input_ids", scope.longs(ids, bsz, smax));
      in.put("attention_mask", scope.longs(mask, bsz, total));
      in.put("position_ids", scope.longs(pos, bsz, smax));
      for (int l = 0; l < layers; l++) {
        in.put(KvCacheLayout.pastName(l, true), scope.floats(past[2 * l], bsz, heads, pmax, headDim));
        in.put(KvCacheLayout.pastName(l, false), scope.floats(past[2 * l + 1], bsz, heads, pmax, headDim));
      }
      TensorScope.Outputs res = scope.run(in, Map.of());
      float[] logits = Batch.read(res.tensor("logits"), "process reward logits", bsz, smax, labels);
      float[][] present = keepState ? new float[layers * 2][] : null;
      for (int l = 0; keepState && l < layers; l++) {
        for (int k = 0; k < 2; k++) {
          String name = KvCacheLayout.presentName(l, k == 0);
          present[2 * l + k] = Batch.read(res.tensor(name), name, bsz, heads, total, headDim);
        }
      }
      for (int b = 0; b < bsz; b++) {
        out.add(nodes(rows.get(b), logits, b * smax, present, b, pmax, total));
      }
    }
    return out;
  }

  /** Copies the KV of {@code node}'s whole prefix into row {@code b} of the past, right-aligned at {@code pmax}. */
  private void fillPast(FloatBuffer[] past, int b, Node node, int pmax) {
    if (node == null) {
      return;
    }
    int p = node.length;
    for (Node n = node; n != null; n = n.parent) {
      int start = n.length - n.segment;
      for (int lk = 0; lk < layers * 2; lk++) {
        for (int h = 0; h < heads; h++) {
          int src = ((lk * heads) + h) * n.segment * headDim;
          int dst = ((b * heads + h) * pmax + (pmax - p) + start) * headDim;
          past[lk].put(dst, n.kv, src, n.segment * headDim);
        }
      }
    }
  }

  /**
   * The nodes of one row: one per cut, with the logits at the cut's last token and (when cached) its segment's KV
   * taken from {@code present} ({@code [B, heads, total, headDim]} per layer and k|v) at columns {@code pmax + t}.
   */
  private Node[] nodes(Row r, float[] logits, int rowOffset, float[][] present, int b, int pmax, int total) {
    Node[] out = new Node[r.cuts().length];
    Node parent = r.parent();
    int base = parent == null ? 0 : parent.length;
    int from = 0;
    for (int c = 0; c < out.length; c++) {
      int to = r.cuts()[c];
      int seg = to - from;
      float[] l = new float[labels];
      System.arraycopy(logits, (rowOffset + to - 1) * labels, l, 0, labels);
      float[] kv = present == null ? null : slice(present, b, pmax + from, seg, total);
      parent = new Node(parent, base + to, seg, kv, l);
      out[c] = parent;
      from = to;
    }
    return out;
  }

  private float[] slice(float[][] present, int b, int col, int seg, int total) {
    float[] kv = new float[layers * 2 * heads * seg * headDim];
    for (int lk = 0; lk < layers * 2; lk++) {
      for (int h = 0; h < heads; h++) {
        int src = ((b * heads + h) * total + col) * headDim;
        int dst = ((lk * heads) + h) * seg * headDim;
        System.arraycopy(present[lk], src, kv, dst, seg * headDim);
      }
    }
    return kv;
  }
}
