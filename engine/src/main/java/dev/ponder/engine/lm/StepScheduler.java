package dev.ponder.engine.lm;

import ai.onnxruntime.OnnxTensor;
import dev.ponder.engine.onnx.OnnxModel;
import dev.ponder.engine.onnx.TensorScope;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Continuous batching for one {@link LanguageModel}: the model calls of every search decoding on it at once are
 * merged into one ONNX Runtime call per step. Each {@link LmProcess} prepares its call as it would alone
 * ({@link BatchForward}: its own rows, tokens, mask, positions and past KV) and hands it here; the call runs when
 * every open process on this lane has handed in its next call, or when the oldest waiting call has waited
 * {@link #DEFAULT_MAX_WAIT_NANOS} (a process busy elsewhere, scoring or done decoding, holds the others up no longer; it
 * joins the next merged call it hands a call to). Calls with different new-segment lengths (a prompt prefill
 * beside one-token decode steps) run as separate calls so that decode rows are not padded to the prompt's
 * length.
 *
 * <p>Fairness: every call waiting when a merged call starts is in it; none waits more than one merged call.
 * Each search keeps its own budget, deadline, cancellation and counters (it counts its own rows and tokens, as
 * alone), because each process still checks its context between its calls.
 *
 * <p>Layout: rows are stacked in the order the calls arrived; each call's past is right-aligned to the longest
 * real past among them (leading padding is trimmed when rows are gathered) and masked on the left. The present
 * outputs stay in one buffer per layer ({@link SharedKv}); each process's block is a slice of it, so when the
 * next step's calls are the same processes' rows in the same order, that buffer is the past as it is, with no
 * copy. Otherwise (a search joined or left, rows finished) each call's past is gathered once into a fresh
 * buffer. Seeded results do not depend on the batch: token draws are keyed by lineage, and masked positions
 * add nothing to attention.
 *
 * <p>Thread-safe. The thread whose call completes a batch runs the merged call; the others wait for it.
 */
final class StepScheduler {
  /**
   * The longest a handed-in call waits for open processes that have not handed in theirs (busy scoring, choosing,
   * or done decoding but not yet closed): long enough for a descheduled thread to sample its next tokens on a
   * busy machine, short against a search.
   */
  static final long DEFAULT_MAX_WAIT_NANOS = 2_000_000L;

  /** {@link #DEFAULT_MAX_WAIT_NANOS}, or the system property {@code ponder.lm.batchWaitMicros} when set. */
  private final long maxWaitNanos = Long.getLong("ponder.lm.batchWaitMicros", DEFAULT_MAX_WAIT_NANOS / 1000) * 1000;

  private final OnnxModel model;
  private final LmConfig config;
  /** The model's batch memory limit: a merged call larger than it is split. */
  private final long memoryLimit;
  private final Object lock = new Object();
  private final List<Request> pending = new ArrayList<>();
  private int active;
  private boolean running;
  /** When the last merged call ended. */
  private long freeSince = System.nanoTime();
  /** Guarded by itself: the leader acquires, any process's thread releases a slice. */
  private final FloatPool pool = new FloatPool();
  /** Reused by the leader only (one merged call runs at a time). */
  private final ReusableLongs ids = new ReusableLongs();
  private final ReusableLongs mask = new ReusableLongs();
  private final ReusableLongs positions = new ReusableLongs();
  // Counters, guarded by lock.
  private long calls;
  private long requests;
  private long rows;
  private long tokens;
  private long pastPadding;
  private long gatheredCalls;
  private long closedUpCalls;
  private long callNanos;
  private long ortNanos;
  /** Guarded by running (only the leader makes shared buffers). */
  private long nextId;

  StepScheduler(OnnxModel model, LmConfig config, long memoryLimit) {
    this.model = model;
    this.config = config;
    this.memoryLimit = memoryLimit;
  }

  /** Processes attached to this lane (made and not yet closed): the calls a merged call waits for. */
  int attached() {
    synchronized (lock) {
      return active;
    }
  }

  /** A process was made on this lane: merged calls wait for its calls from now on. */
  void attach() {
    synchronized (lock) {
      active++;
    }
  }

  /** A process closed: calls waiting for it run without it. */
  void detach() {
    synchronized (lock) {
      active--;
      lock.notifyAll();
    }
  }

  /** What the scheduler has done so far. */
  LanguageModel.SharedCalls stats() {
    synchronized (lock) {
      return new LanguageModel.SharedCalls(calls, requests, rows, tokens, pastPadding, gatheredCalls, closedUpCalls, callNanos, ortNanos);
    }
  }

  /**
   * Runs the call, merged with the calls of other processes; returns when its outputs are in place (the request's
   * {@code keys}, {@code values}, {@code total}, {@code newMask} and its logits buffer).
   */
  void submit(Request r) {
    List<Request> batch = null;
    boolean interrupted = false;
    synchronized (lock) {
      r.enqueued = System.nanoTime();
      pending.add(r); // no notify: only the call that completes the batch can start it, and it is this thread's
      while (!r.done) {
        // The clock starts when the lane is free: calls handed in during a merged call wait for the others too,
        // else two groups of searches would alternate for ever, each its own merged call.
        long waited = pending.isEmpty() ? 0 : System.nanoTime() - Math.max(pending.get(0).enqueued, freeSince);
        if (!running && !pending.isEmpty() && (pending.size() >= active || waited >= maxWaitNanos)) {
          batch = new ArrayList<>(pending);
          pending.clear();
          running = true;
          break;
        }
        long waitMs = running ? 0 : Math.max(1, (maxWaitNanos - waited) / 1_000_000);
        try {
          lock.wait(waitMs);
        } catch (InterruptedException e) {
          interrupted = true; // the search notices it after this call, as after any model call
        }
      }
    }
    if (batch != null) {
      try {
        execute(batch);
      } finally {
        synchronized (lock) {
          running = false;
          freeSince = System.nanoTime();
          for (Request q : batch) {
            q.done = true;
          }
          lock.notifyAll();
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (r.error != null) {
      throw r.error;
    }
  }

  private void execute(List<Request> batch) {
    Map<Integer, List<Request>> bySegment = new TreeMap<>();
    for (Request r : batch) {
      bySegment.computeIfAbsent(r.s, k -> new ArrayList<>()).add(r);
    }
    List<List<Request>> calls = new ArrayList<>();
    for (List<Request> group : bySegment.values()) {
      // Row order does not change any row's result; the order of the previous merged call lets its outputs be the
      // past as they are (or closed up in place), whatever order the searches handed their calls in this time.
      group.sort(java.util.Comparator.comparingLong(StepScheduler::pastOwner).thenComparingInt(StepScheduler::pastRow));
      calls.addAll(withinMemory(group));
    }
    for (List<Request> group : calls) {
      try {
        run(group);
      } catch (RuntimeException | Error e) {
        RuntimeException failure = e instanceof RuntimeException re ? re
            : new IllegalStateException("a model call shared by " + group.size() + " searches failed: " + e, e);
        for (Request r : group) {
          r.error = failure;
        }
        if (e instanceof Error err && !(e instanceof OutOfMemoryError)) {
          throw err;
        }
      }
    }
  }

  /**
   * Splits requests (in the order their rows will be stacked) into consecutive parts whose merged call stays within
   * the model's batch memory limit, counted as a call's own check counts it (past gathered, present, logits). A
   * request alone always runs: its process checked it against the same limit.
   */
  List<List<Request>> withinMemory(List<Request> group) {
    List<List<Request>> parts = new ArrayList<>();
    List<Request> part = new ArrayList<>();
    int rows = 0;
    int p = 0;
    for (Request r : group) {
      int joinedRows = rows + r.b;
      int joinedP = Math.max(p, r.p);
      if (!part.isEmpty() && BatchForward.callBytes(config, joinedRows, joinedP, r.s, true) > memoryLimit) {
        parts.add(part);
        part = new ArrayList<>();
        joinedRows = r.b;
        joinedP = r.p;
      }
      part.add(r);
      rows = joinedRows;
      p = joinedP;
    }
    parts.add(part);
    return parts;
  }

  /** One ONNX call for requests that feed the same number of new positions. */
  private void run(List<Request> arrived) {
    long t0 = System.nanoTime();
    List<Request> group = arrived; // already in the previous merged call's row order (execute sorts it)
    int heads = config.kvHeads();
    int d = config.headDim();
    int layers = config.layers();
    int v = config.vocab();
    int s = group.get(0).s;
    int total = 0;
    for (Request r : group) {
      total += r.b;
    }
    final int rowsIn = total;
    boolean cache = config.hasCache();
    SharedKv source = cache ? contiguousSource(group) : null;
    if (cache && source == null) {
      source = closeUp(group);
    }
    int[][] lead = new int[group.size()][];
    int p = 0;
    if (source != null) {
      p = source.length;
    } else if (cache) {
      for (int k = 0; k < group.size(); k++) {
        Request r = group.get(k);
        lead[k] = new int[r.b];
        for (int i = 0; i < r.b; i++) {
          int z = 0;
          while (z < r.p && r.mask.get(i * (r.p + s) + z) == 0) {
            z++;
          }
          lead[k][i] = z;
          p = Math.max(p, r.p - z);
        }
      }
    }
    int width = p + s;
    LongBuffer ids = this.ids.atLeast(rowsIn * s);
    LongBuffer mask = this.mask.atLeast(rowsIn * width);
    LongBuffer positions = this.positions.atLeast(rowsIn * s);
    long padded = 0;
    int base = 0;
    for (int k = 0; k < group.size(); k++) {
      Request r = group.get(k);
      int rw = r.p + s;
      for (int i = 0; i < r.b; i++) {
        int g = base + i;
        for (int j = 0; j < s; j++) {
          ids.put(g * s + j, r.ids.get(i * s + j));
          positions.put(g * s + j, r.positions.get(i * s + j));
          mask.put(g * width + p + j, r.mask.get(i * rw + r.p + j));
        }
        int from = source != null || !cache ? 0 : lead[k][i];
        int pad = p - (r.p - from);
        for (int j = 0; j < pad; j++) {
          mask.put(g * width + j, 0);
        }
        for (int j = from; j < r.p; j++) {
          mask.put(g * width + pad + j - from, r.mask.get(i * rw + j));
        }
        padded += pad;
      }
      base += r.b;
    }

    int rowFloatsPast = heads * p * d;
    FloatPool.Lease[] pastKeys = new FloatPool.Lease[layers];
    FloatPool.Lease[] pastValues = new FloatPool.Lease[layers];
    FloatPool.Lease[] presentKeys = new FloatPool.Lease[layers];
    FloatPool.Lease[] presentValues = new FloatPool.Lease[layers];
    FloatPool.Lease logitsLease;
    boolean gathered = cache && p > 0 && source == null;
    int presentFloats = rowsIn * heads * width * d;
    synchronized (pool) {
      for (int l = 0; l < layers && gathered; l++) {
        pastKeys[l] = pool.acquire(rowsIn * rowFloatsPast);
        pastValues[l] = pool.acquire(rowsIn * rowFloatsPast);
      }
      for (int l = 0; l < layers && cache; l++) {
        presentKeys[l] = pool.acquire(presentFloats);
        presentValues[l] = pool.acquire(presentFloats);
      }
      logitsLease = pool.acquire(rowsIn * s * v);
    }
    boolean handedOut = false;
    long ortTime = 0;
    try {
      if (gathered) {
        gather(group, lead, p, pastKeys, pastValues);
      }
      FloatBuffer logits = logitsLease.floats;
      try (TensorScope scope = model.scope()) {
        Map<String, OnnxTensor> in = new HashMap<>();
        Map<String, OnnxTensor> out = new HashMap<>();
        in.put("input_ids", scope.longs(view(ids, rowsIn * s), rowsIn, s));
        in.put("attention_mask", scope.longs(view(mask, rowsIn * width), rowsIn, width));
        if (config.hasPositionIds()) {
          in.put("position_ids", scope.longs(view(positions, rowsIn * s), rowsIn, s));
        }
        if (cache) {
          long[] pastShape = {rowsIn, heads, p, d};
          long[] presentShape = {rowsIn, heads, width, d};
          int pastFloats = rowsIn * rowFloatsPast;
          for (int l = 0; l < layers; l++) {
            FloatBuffer pk = p == 0 ? EMPTY : (source != null ? source.keys[l] : pastKeys[l]).floats;
            FloatBuffer pv = p == 0 ? EMPTY : (source != null ? source.values[l] : pastValues[l]).floats;
            in.put("past_key_values." + l + ".key", scope.floats(first(pk, pastFloats), pastShape));
            in.put("past_key_values." + l + ".value", scope.floats(first(pv, pastFloats), pastShape));
            out.put("present." + l + ".key", scope.floats(presentKeys[l].floats, presentShape));
            out.put("present." + l + ".value", scope.floats(presentValues[l].floats, presentShape));
          }
        }
        out.put("logits", scope.floats(logits, rowsIn, s, v));
        long t1 = System.nanoTime();
        scope.run(in, out);
        ortTime = System.nanoTime() - t1;
      }
      SharedKv kv = cache ? new SharedKv(presentKeys, presentValues, width, 2 * layers * group.size()) : null;
      int rowFloats = heads * width * d;
      base = 0;
      for (Request r : group) {
        r.logits.put(0, logits, base * s * v, r.b * s * v);
        r.total = cache ? width : 0;
        r.newMask = new long[cache ? r.b * width : 0];
        mask.get(base * width, r.newMask, 0, r.newMask.length);
        r.keys = new FloatPool.Lease[layers];
        r.values = new FloatPool.Lease[layers];
        for (int l = 0; l < layers && cache; l++) {
          r.keys[l] = kv.slice(presentKeys[l], base, r.b, rowFloats);
          r.values[l] = kv.slice(presentValues[l], base, r.b, rowFloats);
        }
        base += r.b;
      }
      handedOut = true;
    } finally {
      synchronized (pool) {
        for (int l = 0; l < layers && gathered; l++) {
          pool.release(pastKeys[l]);
          pool.release(pastValues[l]);
        }
        pool.release(logitsLease);
        for (int l = 0; l < layers && cache && !handedOut; l++) {
          pool.release(presentKeys[l]);
          pool.release(presentValues[l]);
        }
      }
    }
    synchronized (lock) {
      calls++;
      requests += group.size();
      rows += rowsIn;
      tokens += (long) rowsIn * s;
      pastPadding += padded;
      gatheredCalls += gathered ? 1 : 0;
      callNanos += System.nanoTime() - t0;
      ortNanos += ortTime;
    }
  }

  private static long pastOwner(Request r) {
    return r.p == 0 || r.pastKeys[0] == null || r.pastKeys[0].owner == null ? Long.MAX_VALUE : r.pastKeys[0].owner.id;
  }

  private static int pastRow(Request r) {
    return r.p == 0 || r.pastKeys[0] == null ? 0 : r.pastKeys[0].firstRow;
  }

  /**
   * The shared buffer whose first rows are exactly these requests' pasts, in order (the previous merged call's
   * outputs, handed back unchanged), or null when the pasts must be gathered.
   */
  private SharedKv contiguousSource(List<Request> group) {
    Request first = group.get(0);
    if (first.p == 0 || first.pastKeys[0] == null || first.pastKeys[0].owner == null) {
      return null;
    }
    SharedKv kv = first.pastKeys[0].owner;
    int row = 0;
    for (Request r : group) {
      if (r.p != kv.length) {
        return null;
      }
      for (int l = 0; l < config.layers(); l++) {
        FloatPool.Lease k = r.pastKeys[l];
        FloatPool.Lease val = r.pastValues[l];
        if (k == null || val == null || k.owner != kv || val.owner != kv || k.firstRow != row || val.firstRow != row) {
          return null;
        }
      }
      row += r.b;
    }
    return kv;
  }

  /**
   * When the pasts are all rows of one shared buffer that nothing else holds (every slice of it is one of these
   * requests', and each request's rows are all that point at its slice), moves them down in place so that they are
   * its first rows, in order, and returns it; else null (they are gathered). The cheap way to drop rows that
   * finished or searches that left: one bulk copy per moved row and layer, no new buffer.
   */
  private SharedKv closeUp(List<Request> group) {
    Request first = group.get(0);
    if (first.p == 0 || first.pastKeys[0] == null || first.pastKeys[0].owner == null) {
      return null;
    }
    SharedKv kv = first.pastKeys[0].owner;
    int layers = config.layers();
    synchronized (pool) {
      if (kv.slices != 2 * layers * group.size()) {
        return null;
      }
    }
    int target = 0;
    int previousEnd = 0;
    for (Request r : group) {
      if (!r.pastExclusive || r.p != kv.length) {
        return null;
      }
      int from = r.pastKeys[0].firstRow;
      for (int l = 0; l < layers; l++) {
        FloatPool.Lease k = r.pastKeys[l];
        FloatPool.Lease val = r.pastValues[l];
        if (k.owner != kv || val.owner != kv || k.firstRow != from || val.firstRow != from) {
          return null;
        }
      }
      if (from < previousEnd) { // slices out of order: a move could overwrite rows not yet moved
        return null;
      }
      previousEnd = from + r.b;
      target += r.b;
    }
    int rowFloats = config.kvHeads() * kv.length * config.headDim();
    target = 0;
    for (Request r : group) {
      int from = r.pastKeys[0].firstRow;
      for (int i = 0; from != target && i < r.b; i++) {
        for (int l = 0; l < layers; l++) {
          FloatBuffer keys = kv.keys[l].floats;
          FloatBuffer values = kv.values[l].floats;
          keys.put((target + i) * rowFloats, keys, (from + i) * rowFloats, rowFloats);
          values.put((target + i) * rowFloats, values, (from + i) * rowFloats, rowFloats);
        }
      }
      target += r.b;
    }
    synchronized (lock) {
      closedUpCalls++;
    }
    return kv;
  }

  /** Copies each request's past rows into the merged buffers, leading padding dropped, right-aligned to p. */
  private void gather(List<Request> group, int[][] lead, int p, FloatPool.Lease[] keys, FloatPool.Lease[] values) {
    int heads = config.kvHeads();
    int d = config.headDim();
    int base = 0;
    for (int k = 0; k < group.size(); k++) {
      Request r = group.get(k);
      for (int i = 0; i < r.b; i++) {
        int from = lead[k][i];
        int len = r.p - from;
        int pad = p - len;
        for (int l = 0; l < config.layers(); l++) {
          copyRow(r.pastKeys[l], keys[l].floats, i, base + i, r.p, p, from, len, pad, heads, d);
          copyRow(r.pastValues[l], values[l].floats, i, base + i, r.p, p, from, len, pad, heads, d);
        }
      }
      base += r.b;
    }
  }

  private static void copyRow(FloatPool.Lease src, FloatBuffer dst, int srcRow, int dstRow, int srcP, int p, int from,
      int len, int pad, int heads, int d) {
    for (int h = 0; h < heads; h++) {
      int dstOff = ((dstRow * heads + h) * p) * d;
      for (int k = 0; k < pad * d; k++) {
        dst.put(dstOff + k, 0f);
      }
      if (len > 0) {
        dst.put(dstOff + pad * d, src.floats, ((srcRow * heads + h) * srcP + from) * d, len * d);
      }
    }
  }

  private static LongBuffer view(LongBuffer b, int n) {
    return b.duplicate().clear().limit(n).slice();
  }

  private static FloatBuffer first(FloatBuffer b, int n) {
    return b.duplicate().clear().limit(n).slice();
  }

  private static final FloatBuffer EMPTY = ByteBuffer.allocateDirect(0).order(ByteOrder.nativeOrder()).asFloatBuffer();

  /** One process's call, and (once run) its outputs. */
  static final class Request {
    final int b;
    final int p;
    final int s;
    /** [b, s], [b, p + s], [b, s]: the process's own inputs, as it would feed them alone. */
    final LongBuffer ids;
    final LongBuffer mask;
    final LongBuffer positions;
    /** Per layer, [b, heads, p, d] (null entries when p is 0). */
    final FloatPool.Lease[] pastKeys;
    final FloatPool.Lease[] pastValues;
    /** [b, s, vocab]: filled with the rows' logits. */
    final FloatBuffer logits;
    /** Whether the rows of this call are all that point at their past (so it may be moved in place). */
    final boolean pastExclusive;
    long enqueued;
    boolean done;
    RuntimeException error;
    FloatPool.Lease[] keys;
    FloatPool.Lease[] values;
    int total;
    long[] newMask;

    Request(int b, int p, int s, LongBuffer ids, LongBuffer mask, LongBuffer positions, FloatPool.Lease[] pastKeys,
        FloatPool.Lease[] pastValues, FloatBuffer logits, boolean pastExclusive) {
      this.pastExclusive = pastExclusive;
      this.b = b;
      this.p = p;
      this.s = s;
      this.ids = ids;
      this.mask = mask;
      this.positions = positions;
      this.pastKeys = pastKeys;
      this.pastValues = pastValues;
      this.logits = logits;
    }
  }

  /**
   * The present outputs of one merged call, shared by the blocks of every process in it (each holds a slice);
   * back to the pool when every slice is released.
   */
  final class SharedKv {
    final FloatPool.Lease[] keys;
    final FloatPool.Lease[] values;
    final int length;
    /** Increasing with each merged call: orders the rows of the next one. */
    final long id = nextId++;
    private int slices; // guarded by pool

    SharedKv(FloatPool.Lease[] keys, FloatPool.Lease[] values, int length, int slices) {
      this.keys = keys;
      this.values = values;
      this.length = length;
      this.slices = slices;
    }

    FloatPool.Lease slice(FloatPool.Lease whole, int firstRow, int rowCount, int rowFloats) {
      FloatBuffer view = whole.floats.duplicate().clear().position(firstRow * rowFloats)
          .limit((firstRow + rowCount) * rowFloats).slice();
      return new FloatPool.Lease(null, view, this, firstRow);
    }

    void release() {
      synchronized (pool) {
        if (--slices > 0) {
          return;
        }
        if (slices < 0) {
          throw new IllegalStateException("a shared KV slice was released twice");
        }
        for (int l = 0; l < keys.length; l++) {
          pool.release(keys[l]);
          pool.release(values[l]);
        }
      }
    }
  }

  /** A direct int64 buffer the leader reuses across merged calls. */
  private static final class ReusableLongs {
    private LongBuffer longs = LongBuffer.allocate(0);

    LongBuffer atLeast(int n) {
      if (longs.capacity() < n) {
        longs = ByteBuffer.allocateDirect(Math.max(64, n * 2) * Long.BYTES).order(ByteOrder.nativeOrder())
            .asLongBuffer();
      }
      return longs;
    }
  }
}
