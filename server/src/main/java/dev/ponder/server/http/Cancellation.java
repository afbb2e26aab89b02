package dev.ponder.server.http;

import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchEvent.SearchListener;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * Stops the search of a client that went away. The search runs on the request's thread, and the engine's {@code run}
 * honours {@link Thread#interrupt()}: it stops before its next model or scorer call, frees its native memory and
 * returns with {@code StopReason.Cancelled}. {@link #cancel} interrupts that thread, but only while the search runs
 * ({@link #during}), and the interrupt flag is cleared afterwards so that it never reaches Jetty's own I/O. A
 * listener whose write fails (an SSE stream whose client closed) cancels the same way.
 */
public final class Cancellation {
  /** The search's client is gone: nothing is sent; the request is logged as 499. */
  public static final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientGone(String why) {
      super(why, null, false, false);
    }
  }

  private final Thread searching;
  private final Object lock = new Object();
  private boolean running;
  private volatile String reason;

  public Cancellation(Thread searching) {
    this.searching = searching;
  }

  public void cancel(String why) {
    synchronized (lock) {
      if (reason != null) {
        return;
      }
      reason = why;
      if (running) {
        searching.interrupt();
      }
    }
  }

  public boolean isCancelled() {
    return reason != null;
  }

  public String reason() {
    return reason;
  }

  /** Runs the search on this (the searching) thread; a cancel while it runs interrupts it. */
  public <T> T during(Supplier<T> search) {
    synchronized (lock) {
      running = true;
      if (reason != null) {
        searching.interrupt();
      }
    }
    try {
      return search.get();
    } finally {
      synchronized (lock) {
        running = false;
      }
      Thread.interrupted(); // a cancel's interrupt ends here, with the search
    }
  }

  /** The listener to give the search: passes events on until cancelled; a failed write cancels. */
  public SearchListener guard(SearchListener inner) {
    return (SearchEvent event) -> {
      if (reason != null) {
        return;
      }
      try {
        inner.onEvent(event);
      } catch (UncheckedIOException e) {
        cancel("the client closed the stream: " + e.getCause().getMessage());
      }
    };
  }
}
