package dev.ponder.server.http;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code workers} searches run at once and at most {@code queue} more wait; a request beyond that is
 * refused at once with 429 and Retry-After, instead of piling up threads and memory.
 */
public final class Admission {
  private final int workers;
  private final int capacity;
  private final int retryAfterSeconds;
  private final Semaphore slots;
  private final AtomicInteger inside = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();

  public Admission(Limits limits) {
    this.workers = limits.workers();
    this.capacity = limits.workers() + limits.queue();
    this.retryAfterSeconds = limits.retryAfterSeconds();
    this.slots = new Semaphore(limits.workers(), true);
  }

  /** A held worker slot; close it when the search ends. */
  public final class Permit implements AutoCloseable {
    private boolean closed;

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        running.decrementAndGet();
        slots.release();
        inside.decrementAndGet();
      }
    }
  }

  /** Waits for a worker, or throws 429 when the queue is full. */
  public Permit enter() throws InterruptedException {
    if (inside.incrementAndGet() > capacity) {
      int waiting = Math.max(0, inside.get() - 1 - workers);
      inside.decrementAndGet();
      throw new ApiError(429, "rate_limit_error", null, "queue_full", "the server is busy: " + workers
          + " searches running and " + waiting + " waiting (queue limit " + (capacity - workers) + "); retry after "
          + retryAfterSeconds + " s");
    }
    try {
      slots.acquire();
    } catch (InterruptedException e) {
      inside.decrementAndGet();
      throw e;
    }
    running.incrementAndGet();
    return new Permit();
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** Requests waiting for a worker now. */
  public int queueDepth() {
    return Math.max(0, inside.get() - running.get());
  }

  public int running() {
    return running.get();
  }
}
