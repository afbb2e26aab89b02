package dev.ponder.server;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a run over many items on stderr: on a terminal one line redrawn in place (a bar, the count, the
 * status and the time left); otherwise one plain line per item, which logs and pipes keep readable.
 */
final class Progress implements AutoCloseable {
  private static final int WIDTH = 24;
  private final PrintStream err;
  private final int total;
  private final boolean terminal;
  private final long start = System.nanoTime();
  private boolean lineOpen;

  Progress(PrintStream err, int total, boolean terminal) {
    if (total < 1) {
      throw new IllegalArgumentException("progress needs at least one item, was " + total);
    }
    this.err = err;
    this.total = total;
    this.terminal = terminal;
  }

  /** Item {@code done} (1-based) finished; {@code status} says how it and the run so far went. */
  void step(int done, String status) {
    if (!terminal) {
      err.printf(Locale.ROOT, "[%d/%d] %s%n", done, total, status);
      return;
    }
    int filled = done * WIDTH / total;
    String bar = "=".repeat(filled) + (filled < WIDTH ? ">" + " ".repeat(WIDTH - filled - 1) : "");
    double elapsed = (System.nanoTime() - start) / 1e9;
    double left = elapsed / done * (total - done);
    err.printf(Locale.ROOT, "\r[%s] %d/%d  %s  %s left\u001b[K", bar, done, total, status, duration(left));
    lineOpen = true;
    if (done == total) {
      close();
    }
    err.flush();
  }

  /** Ends an open progress line, so that what follows (the summary, an error) starts on a line of its own. */
  @Override
  public void close() {
    if (lineOpen) {
      err.println();
      lineOpen = false;
    }
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s"
        : (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
  }
}
