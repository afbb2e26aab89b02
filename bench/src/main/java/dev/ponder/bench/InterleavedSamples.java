package dev.ponder.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Step times of two sides (engine, raw) taken in alternating blocks of {@code blockSize} steps, and the ratio of
 * their medians with a bootstrap confidence interval.
 *
 * <p>Why blocks: on a machine whose load drifts (other jobs training models, other tenants of the VM), sides
 * timed in separate runs see different machines, and their ratio is partly the drift. Alternating single steps
 * cancels the drift but makes each step evict the other side's KV buffers from the caches, which slows the
 * model call and dilutes the ratio. Blocks of some dozens of steps keep each side's caches warm, as in a decode
 * loop, while the drift over one block pair is small.
 *
 * <p>Block order is E R R E E R R E ..., so that neither side is always first within a pair. Each block is
 * summarized by its median; the statistic is median(engine block medians) / median(raw block medians), and the
 * bootstrap resamples block pairs (fixed seed). Preallocated: recording a step allocates nothing.
 */
final class InterleavedSamples {
  private static final int RESAMPLES = 2000;
  private final long[] block;
  private final double[] engineMedians;
  private final double[] rawMedians;
  private final long[] sorted;
  private int filled;
  private boolean blockMeasured = true;
  private long blockIndex;
  private int pairs;
  /** The median of the first block of the pair in progress, and whether that block was all measured. */
  private double pending;
  private boolean pendingMeasured;

  InterleavedSamples(int blockSize, int maxPairs) {
    this.block = new long[blockSize];
    this.sorted = new long[blockSize];
    this.engineMedians = new double[maxPairs];
    this.rawMedians = new double[maxPairs];
  }

  /** Whether the next step is the engine's (else the raw side's). */
  boolean engineTurn() {
    long k = blockIndex % 4;
    return k == 0 || k == 3;
  }

  /** Records the step just taken by the side in turn; {@code measured} is false during warm-up. */
  void add(long nanos, boolean measured) {
    block[filled++] = nanos;
    blockMeasured &= measured;
    if (filled < block.length) {
      return;
    }
    boolean engine = engineTurn();
    double m = median();
    if (blockIndex % 2 == 0) {
      pending = m;
      pendingMeasured = blockMeasured;
    } else if (pendingMeasured && blockMeasured && pairs < engineMedians.length) {
      engineMedians[pairs] = engine ? m : pending;
      rawMedians[pairs] = engine ? pending : m;
      pairs++;
    }
    filled = 0;
    blockMeasured = true;
    blockIndex++;
  }

  private double median() {
    System.arraycopy(block, 0, sorted, 0, block.length);
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  }

  int pairs() {
    return pairs;
  }

  /**
   * "n block pairs of k steps; engine median … us, {baseline} median … us; ratio … [lo, hi] (99% bootstrap CI)".
   */
  String summary(String baseline) {
    if (pairs < 2) {
      return pairs + " block pairs: too few to summarize (measure longer or use smaller blocks)";
    }
    double engine = median(engineMedians, pairs);
    double raw = median(rawMedians, pairs);
    double[] ratios = new double[RESAMPLES];
    double[] e = new double[pairs];
    double[] r = new double[pairs];
    SplittableRandom random = new SplittableRandom(7);
    for (int k = 0; k < RESAMPLES; k++) {
      for (int i = 0; i < pairs; i++) {
        int j = random.nextInt(pairs);
        e[i] = engineMedians[j];
        r[i] = rawMedians[j];
      }
      ratios[k] = median(e, pairs) / median(r, pairs);
    }
    Arrays.sort(ratios);
    return String.format("%d block pairs of %d steps; engine median %.1f us, %s median %.1f us; engine/%s ratio of"
            + " medians %.3f [%.3f, %.3f] (99%% bootstrap CI over block pairs)", pairs, block.length, engine / 1e3,
        baseline, raw / 1e3, baseline, engine / raw, ratios[(int) (RESAMPLES * 0.005)],
        ratios[(int) (RESAMPLES * 0.995) - 1]);
  }

  private static double median(double[] values, int n) {
    double[] s = Arrays.copyOf(values, n);
    Arrays.sort(s);
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
