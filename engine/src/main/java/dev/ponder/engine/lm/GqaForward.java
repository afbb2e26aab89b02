package dev.ponder.engine.lm;

import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.SearchContext.SearchCounters;
import dev.ponder.engine.onnx.KvCacheLayout;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One batched forward pass of a {@code GroupQueryAttention} export (onnxruntime-genai's model builder), with the KV
 * cache kept in place across calls.
 *
 * <p>Why not {@link BatchForward}'s layout: GroupQueryAttention ignores where the zeros of {@code attention_mask}
 * are. It takes each row's length as the mask's sum ({@code seqlens_k = sum - 1}), assumes that row's past fills
 * KV positions {@code [0, length - S)} with no hole, writes the {@code S} new keys right after them, and numbers
 * rotary positions from there. Left padding or a masked hole in the past therefore shifts positions and lets pads
 * be attended (measured on llama-tiny: a left-padded prefill row is 6.6 off in logits). And with a past, it takes
 * several new tokens only for a batch of one row ("batch_size must be 1 when sequence_length > 1 and past context
 * is given").
 *
 * <p>So here each row's KV is compact and left-aligned: row i holds its {@code L_i} cached tokens at positions
 * {@code [0, L_i)} of a buffer of {@code capacity} positions, {@code [rows, kvHeads, capacity, headDim]} per layer.
 * A call feeds each row's new tokens at {@code [L_i, L_i + S)}, padded on the right (a pad's key lands past the
 * row's real end and is overwritten by its next real token: nothing attends to it, by causality), with a mask of
 * {@code L_i + S} ones. The past and present tensors are one buffer (past_present_share_buffer): ONNX Runtime
 * writes the new keys into it in place and copies nothing. When rows of several lengths each feed several tokens
 * after a past, the call is split into {@code S} one-token calls (shorter rows feed a pad in the calls past their
 * last token, which lands past their real end).
 *
 * <p>Rows move as in {@link BatchForward}: the previous block is reused as it is when the call's rows are its rows
 * in order and nothing else points at it; rows that left it are closed up in place; otherwise (forks share a row,
 * resampling reorders) each row's {@code L_i} positions are copied once into a new buffer. A buffer grows (by
 * doubling, up to the model's context length) by the same copy.
 */
final class GqaForward {
  private final OnnxModel model;
  private final LmConfig config;
  private final FloatPool pool;
  private final long memoryLimit;
  private long gatheredRows;
  private long movedRows;
  private long reusedCalls;
  /** The int64 inputs' and the logits' buffers, kept across calls (grown when a call needs more). */
  private FloatPool.Lease longs;
  private FloatPool.Lease logitsOut;

  GqaForward(OnnxModel model, LmConfig config, FloatPool pool, long memoryLimit) {
    this.model = model;
    this.config = config;
    this.pool = pool;
    this.memoryLimit = memoryLimit;
  }

  KvBlock run(List<LmHypothesis> rows, SearchCounters counters, long heldBytes) {
    int b = rows.size();
    int[] past = new int[b];
    int[] count = new int[b];
    int s = 0;
    int maxPast = 0;
    int real = 0;
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      if (h.isTerminal()) {
        throw new IllegalStateException("hypothesis " + h.lineage + " is terminal and cannot take a row in a call");
      }
      past[i] = h.cachedTokens();
      count[i] = h.length - past[i];
      s = Math.max(s, count[i]);
      maxPast = Math.max(maxPast, past[i]);
      real += count[i];
    }
    if (s == 0) {
      throw new IllegalStateException("nothing to feed: every row's tokens are already in the cache");
    }
    int needed = maxPast + s;
    if (needed > config.maxPositions()) {
      throw new IllegalStateException("a row would reach position " + needed + " but this model handles at most "
          + config.maxPositions() + " positions (genai_config.json context_length)");
    }
    int v = config.vocab();
    KvBlock source = reusable(rows, needed);
    int capacity = source != null ? source.length : capacity(needed);
    // in place, the KV is the previous block's (already held); otherwise a new buffer of capacity positions
    long adds = (source != null ? 0 : BatchForward.kvBytes(config, b, capacity)) + (long) b * (s + 1) * v * Float.BYTES;
    if (heldBytes + adds > memoryLimit) {
      throw new IllegalStateException("a model call for " + b + " rows at " + capacity + " KV positions needs " + adds
          + " bytes of direct memory on top of the " + heldBytes + " this process holds: more than this model's batch"
          + " memory limit of " + memoryLimit + " bytes; search with fewer hypotheses or fewer tokens, or set"
          + " ModelOptions.withBatchMemoryLimit(bytes)");
    }
    FloatPool.Lease[] keys = new FloatPool.Lease[config.layers()];
    FloatPool.Lease[] values = new FloatPool.Lease[config.layers()];
    if (source != null) {
      closeUp(rows, source);
      for (int l = 0; l < config.layers(); l++) { // the buffers pass to the new block; the old one must not free them
        keys[l] = source.keys[l];
        values[l] = source.values[l];
        source.keys[l] = null;
        source.values[l] = null;
      }
      reusedCalls++;
    } else {
      gather(rows, past, capacity, keys, values);
    }

    FloatPool.Lease nextLogits = pool.acquire(b * v);
    try {
      if (s == 1 || b == 1 || maxPast == 0) {
        call(rows, past, count, 0, s, capacity, keys, values, nextLogits);
      } else {
        for (int j = 0; j < s; j++) {
          call(rows, past, count, j, 1, capacity, keys, values, nextLogits);
        }
      }
    } catch (RuntimeException | Error e) {
      for (int l = 0; l < config.layers(); l++) {
        pool.release(keys[l]);
        pool.release(values[l]);
      }
      pool.release(nextLogits);
      throw e;
    }
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      if (count[i] == 0 && h.block != null) {
        nextLogits.floats.put(i * v, h.block.logits.floats, h.row * v, v);
      }
    }
    counters.addModelCalls(s > 1 && b > 1 && maxPast > 0 ? s : 1);
    counters.addPolicyTokens(real);
    counters.addPaddingTokens((long) b * s - real);
    // in place, the previous block's mask (closed up with its rows, freed with it) only gains the new tokens
    long[] mask = source != null ? source.mask : new long[b * capacity];
    for (int i = 0; i < b; i++) {
      Arrays.fill(mask, i * capacity + (source != null ? past[i] : 0), i * capacity + past[i] + count[i], 1L);
    }
    return new KvBlock(b, capacity, keys, values, mask, nextLogits, BatchForward.blockBytes(config, b, capacity));
  }

  /**
   * One ONNX Runtime call feeding, for each row, its new tokens {@code [from, from + width)} (counted from its first
   * uncached token; past its last one it feeds pads). The next-token logits of a row whose last token is in this
   * call go to {@code nextLogits}.
   */
  private void call(List<LmHypothesis> rows, int[] past, int[] count, int from, int width, int capacity,
      FloatPool.Lease[] keys, FloatPool.Lease[] values, FloatPool.Lease nextLogits) {
    int b = rows.size();
    int v = config.vocab();
    int total = 0;
    for (int i = 0; i < b; i++) {
      total = Math.max(total, slot(past[i], count[i], from) + width);
    }
    longs = atLeast(longs, 2 * (b * width * 2 + b * total));
    // at most one new token per row and one call: the call's logits are the rows' next-token logits, written by
    // ONNX Runtime where they belong (a row that feeds nothing gets its own back afterwards, in run)
    boolean direct = width == 1 && Arrays.stream(count).allMatch(c -> c <= 1);
    if (!direct) {
      logitsOut = atLeast(logitsOut, b * width * v);
    }
    try (TensorScope scope = model.scope()) {
      LongBuffer all = longs.backing.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
      LongBuffer ids = slice(all, 0, b * width);
      LongBuffer positions = slice(all, b * width, b * width);
      LongBuffer mask = slice(all, 2 * b * width, b * total);
      for (int i = 0; i < b; i++) {
        LmHypothesis h = rows.get(i);
        int start = slot(past[i], count[i], from); // the KV position this row's first fed token lands on
        for (int j = 0; j < width; j++) {
          int t = from + j;
          ids.put(i * width + j, t < count[i] ? h.tokens[past[i] + t] : config.padId());
          positions.put(i * width + j, start + j);
        }
        for (int c = 0; c < total; c++) {
          mask.put(i * total + c, c < start + width ? 1 : 0); // GQA reads only the sum: row length start + width
        }
      }
      FloatBuffer logits = (direct ? nextLogits : logitsOut).floats.duplicate().clear().limit(b * width * v).slice();
      Map<String, OnnxTensor> in = new HashMap<>();
      Map<String, OnnxTensor> out = new HashMap<>();
      in.put("input_ids", scope.longs(ids, b, width));
      in.put("attention_mask", scope.longs(mask, b, total));
      if (config.hasPositionIds()) {
        in.put("position_ids", scope.longs(positions, b, width));
      }
      long[] shape = {b, config.kvHeads(), capacity, config.headDim()};
      int floats = b * config.kvHeads() * capacity * config.headDim();
      for (int l = 0; l < config.layers(); l++) { // one buffer as past and present: GQA appends in place
        FloatBuffer k = view(keys[l], floats);
        FloatBuffer val = view(values[l], floats);
        in.put(KvCacheLayout.pastName(l, true), scope.floats(k, shape));
        in.put(KvCacheLayout.pastName(l, false), scope.floats(val, shape));
        out.put(KvCacheLayout.presentName(l, true), scope.floats(k.duplicate(), shape));
        out.put(KvCacheLayout.presentName(l, false), scope.floats(val.duplicate(), shape));
      }
      out.put("logits", scope.floats(logits, b, width, v));
      scope.run(in, out);
      for (int i = 0; !direct && i < b; i++) {
        int last = count[i] - 1 - from; // the column of the row's last real token, if this call fed it
        if (count[i] > 0 && last >= 0 && last < width) {
          nextLogits.floats.put(i * v, logits, (i * width + last) * v, v);
        }
      }
    }
  }

  /** {@code lease} when it holds {@code floats}, else a larger one in its place. */
  private FloatPool.Lease atLeast(FloatPool.Lease lease, int floats) {
    if (lease != null && lease.floats.capacity() >= floats) {
      return lease;
    }
    pool.release(lease);
    return pool.acquire(Math.max(64, floats * 2));
  }

  void close() {
    pool.release(longs);
    pool.release(logitsOut);
    longs = null;
    logitsOut = null;
  }

  /** The KV position of a row's {@code from}-th new token; past its last one, the slot right after its real end. */
  private static int slot(int past, int count, int from) {
    return past + Math.min(from, count);
  }

  /** Positions a new buffer holds: a power of two from 32 up, at most the model's context length. */
  private int capacity(int needed) {
    int c = 32;
    while (c < needed) {
      c *= 2;
    }
    return Math.min(c, config.maxPositions());
  }

  /**
   * The block whose buffers this call can write in place: every row points at it, in increasing row order, one
   * row each, nothing else points at it, and it has room for {@code needed} positions. Null otherwise.
   */
  private static KvBlock reusable(List<LmHypothesis> rows, int needed) {
    KvBlock block = BatchForward.soleOwnerInOrder(rows);
    return block == null || block.length < needed || block.keys.length == 0 || block.keys[0] == null ? null : block;
  }

  /** Moves row {@code rows.get(i).row} of the block down to row i (its cached positions, mask and logits). */
  private void closeUp(List<LmHypothesis> rows, KvBlock block) {
    int cap = block.length;
    int d = config.headDim();
    int v = config.vocab();
    for (int i = 0; i < rows.size(); i++) {
      LmHypothesis h = rows.get(i);
      int from = h.row;
      if (from == i) {
        continue;
      }
      int len = h.cachedTokens();
      for (int l = 0; l < config.layers(); l++) {
        for (FloatBuffer buf : new FloatBuffer[] {block.keys[l].floats, block.values[l].floats}) {
          for (int hd = 0; hd < config.kvHeads(); hd++) {
            buf.put(((i * config.kvHeads() + hd) * cap) * d, buf, ((from * config.kvHeads() + hd) * cap) * d, len * d);
          }
        }
      }
      System.arraycopy(block.mask, from * cap, block.mask, i * cap, cap);
      block.logits.floats.put(i * v, block.logits.floats, from * v, v);
      h.row = i;
      movedRows++;
    }
  }

  /** Copies each row's cached positions, left-aligned, into fresh buffers of {@code capacity} positions. */
  private void gather(List<LmHypothesis> rows, int[] past, int capacity, FloatPool.Lease[] keys,
      FloatPool.Lease[] values) {
    int b = rows.size();
    int heads = config.kvHeads();
    int d = config.headDim();
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = pool.acquire(b * heads * capacity * d);
      values[l] = pool.acquire(b * heads * capacity * d);
    }
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      if (past[i] == 0) {
        continue;
      }
      gatheredRows++;
      int srcCap = h.block.length;
      for (int l = 0; l < config.layers(); l++) {
        for (int kv = 0; kv < 2; kv++) {
          FloatBuffer src = (kv == 0 ? h.block.keys[l] : h.block.values[l]).floats;
          FloatBuffer dst = (kv == 0 ? keys[l] : values[l]).floats;
          for (int hd = 0; hd < heads; hd++) {
            dst.put(((i * heads + hd) * capacity) * d, src, ((h.row * heads + hd) * srcCap) * d, past[i] * d);
          }
        }
      }
    }
  }

  private static FloatBuffer view(FloatPool.Lease lease, int floats) {
    return lease.floats.duplicate().clear().limit(floats).slice();
  }

  private static LongBuffer slice(LongBuffer all, int from, int n) {
    return all.duplicate().clear().position(from).limit(from + n).slice();
  }

  long gatheredRows() {
    return gatheredRows;
  }

  long movedRows() {
    return movedRows;
  }

  long reusedCalls() {
    return reusedCalls;
  }
}
