package dev.ponder.server.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Notices a client that closes its connection while its search runs without writing (a plain JSON answer). Jetty
 * does not read an HTTP/1.1 connection while a handler holds it, so once the body is consumed this polls the
 * connection every {@value #PERIOD_MS} ms with a non-blocking one-byte read: end-of-stream or a failure cancels the
 * search. A client that sends more while it waits (HTTP pipelining) loses that byte; the response then carries
 * {@code Connection: close} ({@link #consumedInput()}) so the client retries it elsewhere, as HTTP/1.1 requires.
 */
final class DisconnectWatch implements AutoCloseable {
  static final long PERIOD_MS = 200;
  private static final ScheduledExecutorService POLLER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ponder-disconnect-watch");
    t.setDaemon(true);
    return t;
  });

  private final EndPoint endPoint;
  private final Cancellation cancellation;
  private final ScheduledFuture<?> task;
  private boolean stopped;
  private boolean consumed;

  private DisconnectWatch(EndPoint endPoint, Cancellation cancellation) {
    this.endPoint = endPoint;
    this.cancellation = cancellation;
    this.task = POLLER.scheduleWithFixedDelay(this::poll, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  static DisconnectWatch start(EndPoint endPoint, Cancellation cancellation) {
    return new DisconnectWatch(endPoint, cancellation);
  }

  private synchronized void poll() {
    if (stopped) {
      return;
    }
    try {
      ByteBuffer one = BufferUtil.allocate(1); // Jetty's fill appends: an empty buffer in flush mode
      int n = endPoint.fill(one);
      if (n < 0) {
        cancellation.cancel("the client closed the connection");
        stop();
      } else if (n > 0) {
        consumed = true;
        stop();
      }
    } catch (IOException | RuntimeException e) {
      cancellation.cancel("the connection failed: " + e);
      stop();
    }
  }

  private void stop() {
    stopped = true;
    task.cancel(false);
  }

  /** Whether the watch read a byte of a next request (the answer must then close the connection). */
  synchronized boolean consumedInput() {
    return consumed;
  }

  /** Stops watching; after this returns no read of the connection is in progress or will start. */
  @Override
  public synchronized void close() {
    stop();
  }
}
