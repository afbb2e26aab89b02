package dev.ponder.engine.onnx;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Guards a native resource against being freed while in use: calls {@link #enter()} (many at once), and
 * {@link #close(Runnable)} stops new calls at once, waits for those in flight, then frees the resource exactly
 * once. Native libraries (ONNX Runtime, the tokenizers) have no such guard, and freeing under a running call
 * crashes the JVM.
 */
public final class Lifecycle {
  private final String what;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Guard unlock = () -> lock.readLock().unlock();

  public Lifecycle(String what) {
    this.what = what;
  }

  /** Enters a call; close the returned guard when the call is done. */
  public Guard enter() {
    lock.readLock().lock();
    if (closed.get()) {
      lock.readLock().unlock();
      throw new IllegalStateException(what + " is closed");
    }
    return unlock;
  }

  public boolean isClosed() {
    return closed.get();
  }

  /** Frees the resource after the calls in flight end; a second close does nothing. */
  public void close(Runnable free) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    lock.writeLock().lock();
    try {
      free.run();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** An entered call; closing it leaves. */
  @FunctionalInterface
  public interface Guard extends AutoCloseable {
    @Override
    void close();
  }
}
