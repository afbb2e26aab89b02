package dev.ponder.bench;

import java.util.Arrays;

/**
 * Summaries of per-step thread CPU times. On a shared machine the wall time of a step includes the time the
 * thread waited for a core; its CPU time does not, so the median CPU time is a steadier measure of the work
 * itself. With one intra-op thread ONNX Runtime runs the model on the calling thread, so the CPU time covers the
 * model call too.
 */
final class CpuTimes {
  private CpuTimes() {
  }

  /** "n=…, median … us, mean … ± … us (99.9% CI), p10 …, p90 …" over the first {@code n} samples (in ns). */
  static String summary(long[] nanos, int n) {
    if (n == 0) {
      return "n=0";
    }
    long[] s = Arrays.copyOf(nanos, n);
    Arrays.sort(s);
    double mean = 0;
    for (long x : s) {
      mean += x;
    }
    mean /= n;
    double var = 0;
    for (long x : s) {
      var += (x - mean) * (x - mean);
    }
    double ci = n > 1 ? 3.29 * Math.sqrt(var / (n - 1) / n) : Double.NaN;
    return String.format("n=%d median %.1f us, mean %.1f ± %.1f us (99.9%% CI), p10 %.1f us, p90 %.1f us", n,
        s[n / 2] / 1e3, mean / 1e3, ci / 1e3, s[n / 10] / 1e3, s[n * 9 / 10] / 1e3);
  }
}
