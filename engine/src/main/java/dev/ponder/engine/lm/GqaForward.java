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
  /**
   * Tensors kept across calls (a decode loop's calls feed the same buffers in the same shapes): per layer the
   * past and present key and value ({@code 4 * l + 0..3}), then input_ids, then the logits (two: a call's logits
   * go to a fresh lease, and the pool hands out the previous call's one again).
   */
  private final TensorSlot[] slots;
  /** Per layer the past key and value and present key and value inputs' and outputs' names, as the slots. */
  private final String[] kvNames;
  /** The call's inputs and outputs by name, refilled each call (the names stay). */
  private final Map<String, OnnxTensor> in = new HashMap<>();
  private final Map<String, OnnxTensor> out = new HashMap<>();
  /** The call's attention mask, written here and copied to the native buffer in one go. */
  private long[] maskRows = new long[0];
  /** Int64 ones, written once: the mask of a call whose rows all have its length. */
  private FloatPool.Lease onesMask;
  /**
   * Mask tensors over {@link #onesMask} kept across calls, one per (rows, total length) shape, direct-mapped (a
   * shape takes the slot of {@link #maskSlot}; a shape that meets another's tensor there replaces it). A decode
   * step whose shape an earlier call had (the next search over prompts of the same length, a search that decodes
   * the same number of rows again) makes no tensor; a step of a new shape makes one, as before.
   */
  private final TensorSlot[] maskSlots = new TensorSlot[64];

  GqaForward(OnnxModel model, LmConfig config, FloatPool pool, long memoryLimit) {
    this.model = model;
    this.config = config;
    this.pool = pool;
    this.memoryLimit = memoryLimit;
    this.kvNames = new String[4 * config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      kvNames[4 * l] = KvCacheLayout.pastName(l, true);
      kvNames[4 * l + 1] = KvCacheLayout.pastName(l, false);
      kvNames[4 * l + 2] = KvCacheLayout.presentName(l, true);
      kvNames[4 * l + 3] = KvCacheLayout.presentName(l, false);
    }
    this.slots = new TensorSlot[4 * config.layers() + 3];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new TensorSlot();
    }
    for (int i = 0; i < maskSlots.length; i++) {
      maskSlots[i] = new TensorSlot();
    }
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
    if ((long) b * s > real) { // no atomic add of zero in the usual decode step
      counters.addPaddingTokens((long) b * s - real);
    }
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
    boolean direct = width == 1;
    for (int i = 0; direct && i < b; i++) {
      direct = count[i] <= 1;
    }
    if (!direct) {
      logitsOut = atLeast(logitsOut, b * width * v);
    }
    boolean uniform = true; // every row as long as the call (the usual decode step): the mask is all ones
    for (int i = 0; uniform && i < b; i++) {
      uniform = slot(past[i], count[i], from) + width == total;
    }
    if (uniform && (onesMask == null || onesMask.floats.capacity() < 2 * b * total)) {
      for (TensorSlot slot : maskSlots) { // they view the buffer given back here
        slot.close();
      }
      pool.release(onesMask);
      onesMask = pool.acquire(Math.max(64, 4 * b * total));
      LongBuffer ones = onesMask.backing.duplicate().order(ByteOrder.nativeOrder()).clear().asLongBuffer();
      for (int i = 0; i < ones.capacity(); i++) {
        ones.put(i, 1L);
      }
    }
    if (!uniform && maskRows.length < b * total) {
      maskRows = new long[Math.max(64, b * total * 2)];
    }
    try (TensorScope scope = model.scope()) {
      LongBuffer all = longs.backing.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
      LongBuffer ids = slice(all, 0, b * width);
      boolean hasPositions = config.hasPositionIds();
      LongBuffer positions = hasPositions ? slice(all, b * width, b * width) : null;
      LongBuffer mask = uniform ? null : slice(all, 2 * b * width, b * total);
      for (int i = 0; i < b; i++) {
        LmHypothesis h = rows.get(i);
        int start = slot(past[i], count[i], from); // the KV position this row's first fed token lands on
        for (int j = 0; j < width; j++) {
          int t = from + j;
          ids.put(i * width + j, t < count[i] ? h.tokens[past[i] + t] : config.padId());
          if (hasPositions) {
            positions.put(i * width + j, start + j);
          }
        }
        if (!uniform) { // GQA reads only the sum: row length start + width, ones then zeros
          Arrays.fill(maskRows, i * total, i * total + start + width, 1L);
          Arrays.fill(maskRows, i * total + start + width, (i + 1) * total, 0L);
        }
      }
      if (!uniform) {
        mask.put(0, maskRows, 0, b * total);
      }
      // the same names every call (this model's inputs and outputs): each put below replaces the previous call's
      in.put("input_ids", slots[4 * config.layers()].longs(longs.backing, 0, b, width));
      in.put("attention_mask", uniform ? maskSlots[maskSlot(b, total)].longs(onesMask.backing, 0, b, total)
          : scope.longs(mask, b, total));
      if (hasPositions) {
        in.put("position_ids", scope.longs(positions, b, width));
      }
      for (int l = 0; l < config.layers(); l++) { // one buffer as past and present: GQA appends in place
        in.put(kvNames[4 * l], slots[4 * l].floats(keys[l].backing, b, capacity));
        in.put(kvNames[4 * l + 1], slots[4 * l + 1].floats(values[l].backing, b, capacity));
        out.put(kvNames[4 * l + 2], slots[4 * l + 2].floats(keys[l].backing, b, capacity));
        out.put(kvNames[4 * l + 3], slots[4 * l + 3].floats(values[l].backing, b, capacity));
      }
      FloatPool.Lease logitsLease = direct ? nextLogits : logitsOut;
      out.put("logits", logitsTensor(logitsLease.backing, b, width, v));
      scope.run(in, out);
      FloatBuffer logits = logitsLease.floats;
      for (int i = 0; !direct && i < b; i++) {
        int last = count[i] - 1 - from; // the column of the row's last real token, if this call fed it
        if (count[i] > 0 && last >= 0 && last < width) {
          nextLogits.floats.put(i * v, logits, (i * width + last) * v, v);
        }
      }
    }
  }

  /** The {@link #maskSlots} slot of a mask of {@code b} rows by {@code total} positions. */
  private int maskSlot(int b, int total) {
    return (total + 31 * b) & (maskSlots.length - 1);
  }

  /** The logits tensor over {@code backing}: the two logits slots, the one that holds it or else the older one. */
  private OnnxTensor logitsTensor(java.nio.ByteBuffer backing, int b, int width, int v) {
    TensorSlot x = slots[4 * config.layers() + 1];
    TensorSlot y = slots[4 * config.layers() + 2];
    TensorSlot use = y.holds(backing, b, width, v) ? y : x.holds(backing, b, width, v) || x.age <= y.age ? x : y;
    use.age = ++calls;
    return use.floats(backing, b, width, v);
  }

  private long calls;

  /**
   * One tensor kept across calls: over the first elements (as many as its shape holds) of one pooled direct buffer.
   * A call that feeds the same buffer in the same shape gets it again; any other closes it and makes the new one.
   * The buffer is the same memory whether or not the lease that brought it was released and acquired again in
   * between, so a kept tensor always reads and writes what a new one would.
   */
  private final class TensorSlot {
    private java.nio.ByteBuffer backing;
    private final long[] shape = new long[3];
    private int rank;
    private TensorScope scope;
    private OnnxTensor tensor;
    long age;

    boolean holds(java.nio.ByteBuffer buffer, long... dims) {
      if (tensor == null || backing != buffer || rank != dims.length) {
        return false;
      }
      for (int i = 0; i < rank; i++) {
        if (shape[i] != dims[i]) {
          return false;
        }
      }
      return true;
    }

    /** A float tensor [b, kvHeads, capacity, headDim] (KV) or the given dims (logits) over the buffer. */
    OnnxTensor floats(java.nio.ByteBuffer buffer, int b, int capacity) {
      if (!holds(buffer, b, capacity)) {
        long[] full = {b, config.kvHeads(), capacity, config.headDim()};
        FloatBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder()).clear().asFloatBuffer()
            .limit(b * config.kvHeads() * capacity * config.headDim()).slice();
        replace(buffer, new long[] {b, capacity}, s -> s.floats(view, full));
      }
      return tensor;
    }

    OnnxTensor floats(java.nio.ByteBuffer buffer, int b, int width, int v) {
      if (!holds(buffer, b, width, v)) {
        FloatBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder()).clear().asFloatBuffer()
            .limit(b * width * v).slice();
        replace(buffer, new long[] {b, width, v}, s -> s.floats(view, b, width, v));
      }
      return tensor;
    }

    OnnxTensor longs(java.nio.ByteBuffer buffer, int offset, int b, int width) {
      if (!holds(buffer, b, width)) {
        LongBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder()).clear().asLongBuffer()
            .position(offset).limit(offset + b * width).slice();
        replace(buffer, new long[] {b, width}, s -> s.longs(view, b, width));
      }
      return tensor;
    }

    private void replace(java.nio.ByteBuffer buffer, long[] dims, java.util.function.Function<TensorScope, OnnxTensor> make) {
      close();
      TensorScope s = model.scope();
      try {
        tensor = make.apply(s);
      } catch (RuntimeException | Error e) {
        s.close();
        throw e;
      }
      scope = s;
      backing = buffer;
      rank = dims.length;
      System.arraycopy(dims, 0, shape, 0, rank);
    }

    void close() {
      if (scope != null) {
        TensorScope s = scope;
        scope = null;
        tensor = null;
        backing = null;
        s.close();
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
    for (TensorSlot slot : slots) {
      slot.close();
    }
    for (TensorSlot slot : maskSlots) {
      slot.close();
    }
    pool.release(longs);
    pool.release(logitsOut);
    pool.release(onesMask);
    onesMask = null;
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
