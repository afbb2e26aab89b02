package dev.ponder.engine.lm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Idle direct buffers kept by a {@link LanguageModel} between searches, so a new {@link LmProcess} starts with the
 * KV buffers the last one finished with instead of allocating (and zeroing, and later freeing through the garbage
 * collector) fresh native memory for every search. Holds at most {@code maxBytes}; a process that finds the shelf
 * empty (another search took its buffers) allocates as before. Thread-safe; it is touched only when a process
 * starts and when it closes, never per decode step.
 */
final class BufferShelf {
  /**
   * JVM-wide: the idle buffers of closed models, which the next model loaded starts with. Without it each closed
   * model's buffers wait for the garbage collector, which frees direct memory only when the heap needs a
   * collection, so a service that loads and closes models grows its resident memory by every model's buffers
   * until then. Holds at most {@link LanguageModel#IDLE_KV_BYTES}.
   */
  static final BufferShelf SPARE = new BufferShelf(LanguageModel.IDLE_KV_BYTES);

  private final long maxBytes;
  private final List<ByteBuffer> idle = new ArrayList<>();
  private long bytes;
  private boolean closed;

  BufferShelf(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must be >= 0, was " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Hands the caller the {@code max} largest buffers on the shelf, largest first; the rest stay for others. */
  synchronized List<ByteBuffer> take(int max) {
    idle.sort((a, b) -> Integer.compare(b.capacity(), a.capacity()));
    List<ByteBuffer> out = new ArrayList<>(idle.subList(0, Math.min(max, idle.size())));
    idle.subList(0, out.size()).clear();
    for (ByteBuffer b : out) {
      bytes -= b.capacity();
    }
    return out;
  }

  /**
   * Puts buffers back, largest first, until the shelf holds {@code maxBytes}; the rest go to the collector. A
   * closed shelf passes them to {@link #SPARE}: a process that outlived its model keeps nothing alive through it.
   */
  void putBack(List<ByteBuffer> buffers) {
    synchronized (this) {
      if (!closed) {
        keep(buffers);
        return;
      }
    }
    if (this != SPARE) {
      SPARE.putBack(buffers);
    }
  }

  private void keep(List<ByteBuffer> buffers) {
    List<ByteBuffer> sorted = new ArrayList<>(buffers);
    sorted.sort((a, b) -> Integer.compare(b.capacity(), a.capacity()));
    for (ByteBuffer b : sorted) {
      if (bytes + b.capacity() <= maxBytes) {
        idle.add(b);
        bytes += b.capacity();
      }
    }
  }

  synchronized long bytes() {
    return bytes;
  }

  synchronized void clear() {
    idle.clear();
    bytes = 0;
  }

  /** Empties the shelf for good, passing its buffers to {@link #SPARE}: later {@link #putBack} calls keep nothing. */
  void close() {
    List<ByteBuffer> left;
    synchronized (this) {
      left = new ArrayList<>(idle);
      clear();
      closed = true;
    }
    if (this != SPARE) {
      SPARE.putBack(left);
    }
  }
}
