package dev.ponder.engine.lm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct, native-order float buffers reused across decode steps, so steady-state decoding allocates no native
 * memory: a KV block freed at step t is reused at step t+1. It starts with the buffers on its model's
 * {@link BufferShelf} and puts its idle buffers back there when its process closes, so steady-state searching
 * allocates none either. Not thread-safe; one pool per process.
 */
final class FloatPool {
  /** Keep at most this many idle buffers; the rest are left to the garbage collector. */
  private static final int MAX_IDLE = 64;
  private final List<ByteBuffer> idle = new ArrayList<>();
  private final BufferShelf shelf;
  private long allocatedBytes;

  /** A pool that starts empty and keeps nothing after {@link #clear()}. */
  FloatPool() {
    this(new BufferShelf(0));
  }

  FloatPool(BufferShelf shelf) {
    this.shelf = shelf;
    idle.addAll(shelf.take(MAX_IDLE));
  }

  /** A buffer of exactly {@code floats} elements, position 0, limit = floats. Contents are unspecified. */
  Lease acquire(int floats) {
    int bytes = Math.max(4, floats * 4);
    ByteBuffer best = null;
    int bestIndex = -1;
    for (int i = 0; i < idle.size(); i++) {
      ByteBuffer b = idle.get(i);
      if (b.capacity() >= bytes && (best == null || b.capacity() < best.capacity())) {
        best = b;
        bestIndex = i;
      }
    }
    if (best == null) {
      // Headroom: a block grows by one position per step; a little slack lets the next step reuse this buffer.
      best = ByteBuffer.allocateDirect(bytes + bytes / 4 + 64).order(ByteOrder.nativeOrder());
      allocatedBytes += best.capacity();
    } else {
      idle.set(bestIndex, idle.get(idle.size() - 1)); // order does not matter: no shifting
      idle.remove(idle.size() - 1);
    }
    FloatBuffer view = best.duplicate().order(ByteOrder.nativeOrder()).clear().limit(bytes).slice()
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    view.limit(floats);
    return new Lease(best, view);
  }

  /**
   * Takes a buffer back. When the pool already holds {@link #MAX_IDLE} idle buffers it keeps the larger ones: a large
   * buffer serves every smaller request, and a search's buffers only grow, so dropping the newest (largest) ones
   * would make the next search on the shelf allocate again.
   */
  void release(Lease lease) {
    if (lease == null) {
      return;
    }
    if (lease.owner != null) { // a slice of a call shared with other searches: its owner frees it
      lease.owner.release();
      return;
    }
    if (idle.size() < MAX_IDLE) {
      idle.add(lease.backing);
      return;
    }
    int smallest = 0;
    for (int i = 1; i < idle.size(); i++) {
      if (idle.get(i).capacity() < idle.get(smallest).capacity()) {
        smallest = i;
      }
    }
    if (idle.get(smallest).capacity() < lease.backing.capacity()) {
      idle.set(smallest, lease.backing);
    }
  }

  /** Native memory this pool allocated because no idle buffer was large enough. */
  long allocatedBytes() {
    return allocatedBytes;
  }

  /** Puts the idle buffers back on the shelf (as far as it holds them) and forgets them. */
  void clear() {
    shelf.putBack(idle);
    idle.clear();
  }

  /** A pooled buffer: {@code floats} is the exact-size view handed to ONNX Runtime. */
  static final class Lease {
    final ByteBuffer backing;
    final FloatBuffer floats;
    /** For a slice of a {@link StepScheduler} call's outputs: what owns the buffer; null for a pooled buffer. */
    final StepScheduler.SharedKv owner;
    /** For a slice: its first row in the owner's buffers. */
    final int firstRow;

    Lease(ByteBuffer backing, FloatBuffer floats) {
      this(backing, floats, null, 0);
    }

    Lease(ByteBuffer backing, FloatBuffer floats, StepScheduler.SharedKv owner, int firstRow) {
      this.backing = backing;
      this.floats = floats;
      this.owner = owner;
      this.firstRow = firstRow;
    }
  }
}
