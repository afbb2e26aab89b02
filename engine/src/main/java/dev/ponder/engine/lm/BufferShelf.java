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

  /** Puts buffers back, largest first, until the shelf holds {@code maxBytes}; the rest go to the collector. */
  synchronized void putBack(List<ByteBuffer> buffers) {
    if (closed) {
      return; // the model is closed: a process that outlived it keeps nothing alive through the shelf
    }
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

  /** Empties the shelf for good: later {@link #putBack} calls keep nothing. */
  synchronized void close() {
    clear();
    closed = true;
  }
}
