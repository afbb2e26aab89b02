package dev.ponder.engine.onnx;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the native values (tensors and run results) the engine opens and closes for one model. Every
 * {@code OnnxTensor} and {@code OrtSession.Result} the engine creates goes through it, so a test can assert that
 * a long run left nothing open.
 */
public final class NativeLedger {
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong closed = new AtomicLong();

  void opened() {
    opened.incrementAndGet();
  }

  void closed() {
    closed.incrementAndGet();
  }

  public long openedCount() {
    return opened.get();
  }

  public long closedCount() {
    return closed.get();
  }

  /** Values opened and not yet closed. */
  public long stillOpen() {
    return opened.get() - closed.get();
  }
}
