package dev.ponder.engine.lm;

import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.SearchContext.SearchCounters;
import dev.ponder.engine.onnx.DecoderInputs;
import dev.ponder.engine.onnx.KvCacheLayout;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One batched forward pass of the decoder for a list of hypotheses, each feeding its tokens that the KV cache
 * does not yet hold (none for a row that sits this call out).
 *
 * <p>Layout: past positions are left-padded to a common length P, the new segment is left-padded to a common
 * length S; {@code attention_mask} is [B, P+S] with 0 on every padding position, {@code position_ids} count each
 * row's real tokens. Padding in the middle of a row is harmless: masked positions are never attended to.
 *
 * <p>KV reuse: when the hypotheses are exactly the rows of one block in order, that block's buffers are the
 * past inputs as they are (no copy). When they are some of its rows, in order, and nothing else points at the
 * block (rows left the batch because they finished), the later rows are moved down in place, one bulk copy per
 * moved row. Otherwise each row is gathered once into a fresh pooled buffer. The present outputs are written by
 * ONNX Runtime straight into pooled buffers (pinned outputs), which become the next block.
 */
final class BatchForward {
  private final OnnxModel model;
  private final LmConfig config;
  private final FloatPool pool;
  private final LongLease ids = new LongLease();
  private final LongLease mask = new LongLease();
  private final LongLease positions = new LongLease();
  private FloatPool.Lease logitsOut;
  private long gatheredRows;
  private long movedRows;
  private long reusedCalls;
  private final long memoryLimit;
  /** Null when this process runs its own calls; else the model's scheduler, which merges them with others'. */
  private final StepScheduler scheduler;
  /** Set for a GroupQueryAttention export: its calls take GqaForward's compact, in-place layout instead. */
  private GqaForward gqa;

  BatchForward(OnnxModel model, LmConfig config, FloatPool pool, long memoryLimit, StepScheduler scheduler) {
    this.model = model;
    this.config = config;
    this.pool = pool;
    this.memoryLimit = memoryLimit;
    this.scheduler = scheduler;
  }

  /** Bytes of KV cache (every layer's keys and values) for {@code b} rows of {@code positions} positions. */
  static long kvBytes(LmConfig config, long b, long positions) {
    return config.hasCache() ? b * positions * 2L * config.layers() * config.kvHeads() * config.headDim() * Float.BYTES : 0;
  }

  /** Bytes a block of {@code b} rows holds: its KV cache and each row's next-token logits. */
  static long blockBytes(LmConfig config, long b, long positions) {
    return kvBytes(config, b, positions) + b * config.vocab() * Float.BYTES;
  }

  /**
   * Bytes one call for {@code b} rows adds: the present KV it writes ({@code p + s} positions), the past KV it
   * gathers into a fresh buffer when the rows are not one block's ({@code p} positions), the logits of its
   * {@code s} new positions and each row's next-token logits.
   */
  static long callBytes(LmConfig config, long b, long p, long s, boolean gathers) {
    return (gathers ? kvBytes(config, b, p) : 0) + kvBytes(config, b, p + s) + b * (s + 1) * config.vocab() * Float.BYTES;
  }

  /**
   * Fails before allocating when what the process holds plus what the call adds would pass the model's batch
   * memory limit, or one buffer would pass what a direct buffer can hold.
   */
  private void checkMemory(int b, int p, int s, boolean gathers, long held) {
    long adds = callBytes(config, b, p, s, gathers);
    long largest = Float.BYTES * Math.max((long) b * config.kvHeads() * (p + s) * config.headDim(),
        (long) b * s * config.vocab());
    if (held + adds <= memoryLimit && largest <= MAX_BUFFER_BYTES) {
      return;
    }
    throw new IllegalStateException("a model call for " + b + " rows at " + (p + s) + " positions (" + p + " cached + "
        + s + " new) needs " + mib(held + adds) + " of direct memory: " + mib(adds) + " for its KV cache and logits"
        + " (" + mib(callBytes(config, 1, p, s, gathers)) + " a row) and " + mib(held) + " this process holds for"
        + " its hypotheses; more than this model's batch memory limit of " + mib(memoryLimit)
        + (largest > MAX_BUFFER_BYTES ? " or one direct buffer can hold" : "") + ". Fit it: search with fewer"
        + " hypotheses or fewer tokens, raise the JVM's -XX:MaxDirectMemorySize (default: the heap size, -Xmx; the"
        + " default limit is 3/4 of it), or set ModelOptions.withBatchMemoryLimit(bytes)");
  }

  /** The largest buffer a pool lease may need: its headroom (a quarter) must still fit a ByteBuffer's int capacity. */
  private static final long MAX_BUFFER_BYTES = (Integer.MAX_VALUE - 64L) / 5 * 4;

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%d bytes (%.1f MiB)", bytes, bytes / 1048576.0);
  }

  /**
   * Runs the model once. Afterwards every row points at the returned block, whose logits hold each row's
   * next-token logits (a row that fed nothing keeps the logits it had).
   */
  KvBlock run(List<LmHypothesis> rows, SearchCounters counters, long heldBytes) {
    if (gqa != null) {
      return gqa.run(rows, counters, heldBytes);
    }
    int b = rows.size();
    int[] feedFrom = new int[b];
    int s = 0;
    int real = 0;
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      if (h.isTerminal()) { // LmProcess leaves terminal rows out: they hold no KV and need no logits
        throw new IllegalStateException("hypothesis " + h.lineage + " is terminal and cannot take a row in a call");
      }
      feedFrom[i] = config.hasCache() ? h.cachedTokens() : 0;
      int n = h.length - feedFrom[i];
      s = Math.max(s, n);
      real += n;
    }
    if (s == 0) {
      throw new IllegalStateException("nothing to feed: every row's tokens are already in the cache");
    }
    KvBlock source = sharedSource(rows);
    int p = config.hasCache() ? pastLength(rows, source) : 0;
    int v = config.vocab();
    KvBlock closable = source == null && config.hasCache() && p > 0 ? soleOwnerInOrder(rows) : null;
    checkMemory(b, p, s, config.hasCache() && p > 0 && source == null && closable == null, heldBytes);
    FloatPool.Lease[] pastKeys = new FloatPool.Lease[config.layers()];
    FloatPool.Lease[] pastValues = new FloatPool.Lease[config.layers()];
    boolean gathered = false;
    long[] pastMask = EMPTY_MASK;
    if (config.hasCache() && p > 0) {
      if (closable != null) {
        source = closable;
        closeUp(rows, source);
      }
      if (source != null) {
        reusedCalls++;
        pastMask = source.mask; // read only: its first b * p entries are exactly this batch's rows
        for (int l = 0; l < config.layers(); l++) {
          pastKeys[l] = source.keys[l];
          pastValues[l] = source.values[l];
        }
      } else {
        pastMask = new long[b * p];
        gather(rows, p, pastKeys, pastValues, pastMask);
        gathered = true;
        gatheredRows += b;
      }
    }

    int total = p + s;
    LongBuffer ids = this.ids.atLeast(b * s);
    LongBuffer mask = this.mask.atLeast(b * total);
    LongBuffer positions = this.positions.atLeast(b * s);
    DecoderInputs layout = new DecoderInputs(ids, mask, positions, p, s, config.padId(), true);
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      int[] tokens = h.tokens;
      layout.row(i, pastMask, i * p, feedFrom[i], t -> tokens[t], feedFrom[i], h.length - feedFrom[i]);
    }

    if (logitsOut == null || logitsOut.floats.capacity() < b * s * v) {
      pool.release(logitsOut);
      logitsOut = pool.acquire(b * s * v);
    }
    FloatBuffer logits = logitsOut.floats.duplicate().clear().limit(b * s * v).slice();
    FloatPool.Lease[] presentKeys;
    FloatPool.Lease[] presentValues;
    long[] newMask;
    if (scheduler != null) {
      StepScheduler.Request request = new StepScheduler.Request(b, p, s, ids.duplicate().clear().limit(b * s).slice(),
          mask.duplicate().clear().limit(b * total).slice(), positions.duplicate().clear().limit(b * s).slice(),
          pastKeys, pastValues, logits, source != null && source.refs() == b);
      try {
        scheduler.submit(request);
      } finally {
        releaseGathered(gathered, pastKeys, pastValues);
      }
      presentKeys = request.keys;
      presentValues = request.values;
      total = request.total;
      newMask = request.newMask;
    } else {
      presentKeys = new FloatPool.Lease[config.layers()];
      presentValues = new FloatPool.Lease[config.layers()];
      runAlone(b, p, s, ids, mask, positions, pastKeys, pastValues, presentKeys, presentValues, logits, gathered);
      newMask = new long[config.hasCache() ? b * total : 0];
      mask.get(0, newMask, 0, newMask.length);
    }
    counters.addModelCalls(1);
    counters.addPolicyTokens(real);
    counters.addPaddingTokens((long) b * s - real);

    FloatPool.Lease nextLogits = pool.acquire(b * v);
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      if (h.length - feedFrom[i] > 0) {
        nextLogits.floats.put(i * v, logits, (i * s + s - 1) * v, v);
      } else if (h.block != null) {
        nextLogits.floats.put(i * v, h.block.logits.floats, h.row * v, v);
      }
    }
    return new KvBlock(b, config.hasCache() ? total : 0, presentKeys, presentValues, newMask, nextLogits,
        blockBytes(config, b, config.hasCache() ? total : 0));
  }

  /** Makes every call of this process a {@link GqaForward} call (for a GroupQueryAttention export). */
  void inPlaceGqa() {
    gqa = new GqaForward(model, config, pool, memoryLimit);
  }

  /** Runs this process's call on its own (no scheduler): the present outputs go into pooled buffers. */
  private void runAlone(int b, int p, int s, LongBuffer ids, LongBuffer mask, LongBuffer positions,
      FloatPool.Lease[] pastKeys, FloatPool.Lease[] pastValues, FloatPool.Lease[] presentKeys,
      FloatPool.Lease[] presentValues, FloatBuffer logits, boolean gathered) {
    int total = p + s;
    int v = config.vocab();
    int kvFloats = b * config.kvHeads() * total * config.headDim();
    for (int l = 0; l < config.layers(); l++) {
      presentKeys[l] = pool.acquire(kvFloats);
      presentValues[l] = pool.acquire(kvFloats);
    }

    try (TensorScope scope = model.scope()) {
      Map<String, OnnxTensor> in = new HashMap<>();
      Map<String, OnnxTensor> out = new HashMap<>();
      in.put("input_ids", scope.longs(ids.duplicate().clear().limit(b * s).slice(), b, s));
      in.put("attention_mask", scope.longs(mask.duplicate().clear().limit(b * total).slice(), b, total));
      if (config.hasPositionIds()) {
        in.put("position_ids", scope.longs(positions.duplicate().clear().limit(b * s).slice(), b, s));
      }
      long[] pastShape = {b, config.kvHeads(), p, config.headDim()};
      int pastFloats = b * config.kvHeads() * p * config.headDim();
      long[] presentShape = {b, config.kvHeads(), total, config.headDim()};
      for (int l = 0; l < config.layers(); l++) {
        in.put(KvCacheLayout.pastName(l, true), scope.floats(pastView(pastKeys[l], pastFloats), pastShape));
        in.put(KvCacheLayout.pastName(l, false), scope.floats(pastView(pastValues[l], pastFloats), pastShape));
        out.put(KvCacheLayout.presentName(l, true), scope.floats(presentKeys[l].floats, presentShape));
        out.put(KvCacheLayout.presentName(l, false), scope.floats(presentValues[l].floats, presentShape));
      }
      out.put("logits", scope.floats(logits, b, s, v));
      scope.run(in, out);
    } finally {
      releaseGathered(gathered, pastKeys, pastValues);
    }
  }

  private void releaseGathered(boolean gathered, FloatPool.Lease[] pastKeys, FloatPool.Lease[] pastValues) {
    if (gathered) {
      for (int l = 0; l < config.layers(); l++) {
        pool.release(pastKeys[l]);
        pool.release(pastValues[l]);
      }
    }
  }

  /** The block whose rows are exactly these hypotheses in order, or null when rows must be gathered. */
  private static KvBlock sharedSource(List<LmHypothesis> rows) {
    KvBlock first = rows.get(0).block;
    if (first == null || first.rows != rows.size()) {
      return null;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).block != first || rows.get(i).row != i) {
        return null;
      }
    }
    return first;
  }

  /**
   * The block these hypotheses are some of the rows of, in increasing row order, one hypothesis per row, when no
   * other hypothesis points at it: then its rows can be moved in place. Null otherwise.
   */
  static KvBlock soleOwnerInOrder(List<LmHypothesis> rows) {
    KvBlock block = rows.get(0).block;
    if (block == null || block.refs() != rows.size()) {
      return null;
    }
    int previous = -1;
    for (LmHypothesis h : rows) {
      if (h.block != block || h.row <= previous) {
        return null;
      }
      previous = h.row;
    }
    return block;
  }

  /**
   * Moves row {@code rows.get(i).row} of the block to row i (KV of every layer, mask, logits), so that the
   * block's first rows are exactly this batch. Rows only move down and in order, so no row is overwritten before
   * it has moved; each hypothesis's row index is updated as its row moves, so the state stays consistent even if
   * the model call that follows fails.
   */
  private void closeUp(List<LmHypothesis> rows, KvBlock block) {
    int rowFloats = config.kvHeads() * block.length * config.headDim();
    int v = config.vocab();
    for (int i = 0; i < rows.size(); i++) {
      LmHypothesis h = rows.get(i);
      int from = h.row;
      if (from == i) {
        continue;
      }
      for (int l = 0; l < config.layers(); l++) {
        FloatBuffer keys = block.keys[l].floats;
        FloatBuffer values = block.values[l].floats;
        keys.put(i * rowFloats, keys, from * rowFloats, rowFloats);
        values.put(i * rowFloats, values, from * rowFloats, rowFloats);
      }
      System.arraycopy(block.mask, from * block.length, block.mask, i * block.length, block.length);
      FloatBuffer logits = block.logits.floats;
      logits.put(i * v, logits, from * v, v);
      h.row = i;
      movedRows++;
    }
  }

  private static int pastLength(List<LmHypothesis> rows, KvBlock source) {
    if (source != null) {
      return source.length;
    }
    int p = 0;
    for (LmHypothesis h : rows) {
      if (h.block != null) {
        p = Math.max(p, h.block.length);
      }
    }
    return p;
  }

  /** Copies each row's KV into fresh buffers, right-aligned to length p (padding on the left, zeroed). */
  private void gather(List<LmHypothesis> rows, int p, FloatPool.Lease[] keys, FloatPool.Lease[] values, long[] pastMask) {
    int b = rows.size();
    int heads = config.kvHeads();
    int d = config.headDim();
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = pool.acquire(b * heads * p * d);
      values[l] = pool.acquire(b * heads * p * d);
    }
    for (int i = 0; i < b; i++) {
      LmHypothesis h = rows.get(i);
      int srcLen = h.block == null ? 0 : h.block.length;
      int pad = p - srcLen;
      for (int j = 0; j < srcLen; j++) {
        pastMask[i * p + pad + j] = h.block.mask[h.row * srcLen + j];
      }
      for (int l = 0; l < config.layers(); l++) {
        copyRow(h, l, true, keys[l].floats, i, p, pad, srcLen);
        copyRow(h, l, false, values[l].floats, i, p, pad, srcLen);
      }
    }
  }

  private void copyRow(LmHypothesis h, int layer, boolean key, FloatBuffer dst, int dstRow, int p, int pad, int srcLen) {
    int heads = config.kvHeads();
    int d = config.headDim();
    for (int hd = 0; hd < heads; hd++) {
      int dstOff = ((dstRow * heads + hd) * p) * d;
      for (int k = 0; k < pad * d; k++) {
        dst.put(dstOff + k, 0f);
      }
      if (srcLen > 0) {
        FloatBuffer src = (key ? h.block.keys[layer] : h.block.values[layer]).floats;
        int srcOff = ((h.row * heads + hd) * srcLen) * d;
        dst.put(dstOff + pad * d, src, srcOff, srcLen * d);
      }
    }
  }

  /** The first {@code floats} elements of the lease (a block's buffer may hold rows that left the batch). */
  private static FloatBuffer pastView(FloatPool.Lease lease, int floats) {
    return lease == null ? EMPTY : lease.floats.duplicate().clear().limit(floats).slice();
  }

  private static final long[] EMPTY_MASK = new long[0];
  private static final FloatBuffer EMPTY = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()).asFloatBuffer();

  /** A reusable int64 input buffer drawn from the pool (so it too comes off the model's shelf). */
  private final class LongLease {
    private FloatPool.Lease lease;
    private LongBuffer longs = LongBuffer.allocate(0);

    LongBuffer atLeast(int n) {
      if (longs.capacity() < n) {
        pool.release(lease);
        lease = pool.acquire(Math.max(64, n * 2) * 2); // two floats' bytes per long
        longs = lease.backing.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
      }
      return longs;
    }

    void release() {
      pool.release(lease);
      lease = null;
      longs = LongBuffer.allocate(0);
    }
  }

  /** Rows copied into a new layout because the batch changed (fork, prune, reorder). */
  long gatheredRows() {
    return gqa != null ? gqa.gatheredRows() : gatheredRows;
  }

  /** Rows moved down in place inside a block because rows before them left the batch. */
  long movedRows() {
    return gqa != null ? gqa.movedRows() : movedRows;
  }

  /** Calls whose past was the previous call's present buffers, as they were or closed up in place. */
  long reusedCalls() {
    return gqa != null ? gqa.reusedCalls() : reusedCalls;
  }

  void close() {
    if (gqa != null) {
      gqa.close();
    }
    pool.release(logitsOut);
    logitsOut = null;
    ids.release();
    mask.release();
    positions.release();
  }
}
