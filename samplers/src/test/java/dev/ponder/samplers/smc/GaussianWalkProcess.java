package dev.ponder.samplers.smc;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * An analytic stand-in for a diffusion model: a T-step Gaussian random walk
 *
 * <pre>x_0 = mu,   x_t = x_{t-1} + (s / sqrt(T)) * xi_t,   xi_t ~ N(0, 1),   so x_T ~ N(mu, s^2).</pre>
 *
 * <p>The noise xi_t of a hypothesis is a pure function of (seed, lineage, t): the Box-Muller transform of the
 * uniforms at indices 0 and 1 of the key (lineage, t, NOISE), laid out as {@code RandomStreams.gaussian} documents.
 * So a hypothesis moves the same way whatever batch it is advanced in; {@code maxBatch} cuts each advance into
 * chunks (one model call each) to show exactly that.
 *
 * <p>The j-th fork of a hypothesis gets lineage {@code RandomStreams.childLineage(parent, j)}, so forked copies
 * draw fresh, independent noise from the next step on. Candidates carry x as a float sample; the exact double is
 * kept for the statistics and read back with {@link #x(Candidate)}.
 */
final class GaussianWalkProcess implements GenerativeProcess<GaussianWalkProcess.H> {

  /** A hypothesis: where the walk is after {@code step} steps. */
  static final class H {
    final long lineage;
    double x;
    int step;
    int forks;
    boolean released;

    H(long lineage, double x, int step) {
      this.lineage = lineage;
      this.x = x;
      this.step = step;
    }
  }

  final double mu;
  final double s;
  final int steps;
  private final int maxBatch;
  private final double stepSd;
  private final Map<Candidate, Double> exactX = new IdentityHashMap<>();
  int live;

  /**
   * @param maxBatch the most hypotheses one model call advances; {@code Integer.MAX_VALUE} for one call per step
   */
  GaussianWalkProcess(double mu, double s, int steps, int maxBatch) {
    if (steps < 1 || maxBatch < 1 || !(s > 0)) {
      throw new IllegalArgumentException("need steps >= 1, maxBatch >= 1, s > 0; was " + steps + ", " + maxBatch
          + ", " + s);
    }
    this.mu = mu;
    this.s = s;
    this.steps = steps;
    this.maxBatch = maxBatch;
    this.stepSd = s / Math.sqrt(steps);
  }

  GaussianWalkProcess(double mu, double s, int steps) {
    this(mu, s, steps, Integer.MAX_VALUE);
  }

  /** The standard normal xi_t of {@code lineage} at step {@code t} (1-based): Box-Muller, as RandomStreams lays it out. */
  static double noise(SearchContext ctx, long lineage, int t) {
    double u1 = 1.0 - ctx.random().uniform(lineage, t, RandomStreams.Purpose.NOISE, 0); // (0, 1]: finite log
    double u2 = ctx.random().uniform(lineage, t, RandomStreams.Purpose.NOISE, 1);
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  @Override
  public List<H> start(int n, SearchContext ctx) {
    H[] out = new H[n];
    for (int i = 0; i < n; i++) {
      out[i] = new H(i, mu, 0);
    }
    live += n;
    return List.of(out);
  }

  @Override
  public List<H> advance(List<H> hs, SearchContext ctx) {
    for (int from = 0; from < hs.size(); from += maxBatch) {
      ctx.counters().addModelCalls(1);
      for (H h : hs.subList(from, Math.min(hs.size(), from + maxBatch))) {
        if (h.released || h.step >= steps) {
          throw new IllegalStateException("advance of a " + (h.released ? "released" : "terminal") + " hypothesis");
        }
        h.step++;
        h.x += stepSd * noise(ctx, h.lineage, h.step);
      }
    }
    return hs;
  }

  @Override
  public H fork(H parent, SearchContext ctx) {
    if (parent.released) {
      throw new IllegalStateException("fork of a released hypothesis");
    }
    live++;
    return new H(RandomStreams.childLineage(parent.lineage, parent.forks++), parent.x, parent.step);
  }

  @Override
  public boolean isTerminal(H h) {
    return h.step >= steps;
  }

  @Override
  public long lineage(H h) {
    return h.lineage;
  }

  @Override
  public Candidate toCandidate(H h, double score) {
    Candidate c = Candidate.ofSample(new float[] {(float) h.x}, score, h.step, isTerminal(h));
    exactX.put(c, h.x);
    return c;
  }

  /** The exact x of a candidate this process made (the sample holds it rounded to float). */
  double x(Candidate c) {
    Double x = exactX.get(c);
    if (x == null) {
      throw new IllegalArgumentException("not a candidate of this process (or a copy of one): " + c);
    }
    return x;
  }

  @Override
  public void release(H h) {
    if (!h.released) {
      h.released = true;
      live--;
    }
  }

  @Override
  public void close() {
  }
}
