package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import java.util.List;

/**
 * Reward-guided noise optimization (ReNO: Eyring, Karthik, Roth, Dosovitskiy and Akata, "ReNO: Enhancing one-step
 * text-to-image models through reward-based noise optimization", NeurIPS 2024), and the ascent loop it shares
 * with its gradient-free variant {@link Spsa}.
 *
 * <p>A one-step generator maps noise z to an image; differentiable rewards score it. ReNO ascends, for every
 * restart's noise vector at once (one batched call per reward per iteration),
 *
 * <pre>J(z) = sum_k w_k r_k(z) - lambda reg(z),    reg(z) = ||z||^2 / 2 - (d - 1) log ||z||   ({@link ChiNorm})</pre>
 *
 * <p>Each iteration t: evaluate r_k and grad r_k at z_t; g = sum_k w_k grad r_k - lambda grad reg(z_t); if
 * ||g|| > clip, g <- g clip / ||g||; z_{t+1} = optimizer step of z_t along g. A restart's best noise is the iterate
 * with the highest weighted reward <em>without</em> the regularizer (ties go to the later iterate), so the returned
 * reward never decreases with more iterations, however the iterates oscillate. The last iterate z_T is not
 * evaluated: T iterations cost T reward calls.
 *
 * <p>Events: {@link SearchEvent.Step}(t, restarts) per iteration, then {@link SearchEvent.Score}(restart, "reno",
 * weighted reward) per restart. The budget is checked before every iteration.
 */
final class Reno {
  private Reno() {
  }

  /** Configuration, validated by the builder. */
  record Config(int iterations, NoiseOptimizer optimizer, double gradientClip, double regularizer, int restarts) {}

  /** A hook that sees every step: for tests (clipping, best-iterate bookkeeping). */
  interface Trace {
    Trace NONE = (t, i, reward, best, raw, applied) -> { };

    void step(int iteration, int restart, double reward, double bestReward, double rawGradientNorm,
        double appliedGradientNorm);
  }

  /**
   * One look at the objective for all restarts: per restart the best point evaluated this iteration, its
   * (weighted, unregularized) reward, and the reward's gradient (or an estimate of it) at the iterate.
   */
  record Probe(float[][] points, double[] rewards, double[][] gradients) {}

  /** Evaluates the reward around the iterates in one batched call per reward model. */
  interface Oracle {
    Probe probe(float[][] iterates, int iteration, SearchContext ctx);
  }

  /** The weighted sum of differentiable rewards, evaluated at the iterates themselves. */
  static Oracle gradientOf(List<DifferentiableReward> rewards, List<Double> weights, int dimension) {
    return (z, t, ctx) -> {
      double[] value = new double[z.length];
      double[][] grad = new double[z.length][dimension];
      for (int k = 0; k < rewards.size(); k++) {
        DifferentiableReward.ValueAndGradient vg = rewards.get(k).valueAndGradient(z, ctx);
        NoiseSearchBuilder.requireRows("reward " + k + " valueAndGradient", vg.values().length, z.length);
        double w = weights.get(k);
        for (int i = 0; i < z.length; i++) {
          float[] gi = vg.gradients()[i];
          if (gi.length != dimension) {
            throw new IllegalStateException("reward " + k + " returned a gradient of length " + gi.length
                + " for noise of dimension " + dimension + "; it must be d reward / d noise, one per coordinate");
          }
          value[i] += w * vg.values()[i];
          for (int j = 0; j < dimension; j++) {
            grad[i][j] += w * gi[j];
          }
        }
      }
      return new Probe(z, value, grad);
    };
  }

  /** The shared loop, run by the round driver: probe, track the best, regularize, clip, step; then rank and generate. */
  static NoiseSearchBuilder.Result ascend(NoiseGenerator generator, Oracle oracle, String scorer, Config c,
      Trace trace, SearchContext ctx) {
    return new Ascent(generator, oracle, scorer, c, trace, ctx).run();
  }

  /** One iteration a round. */
  private static final class Ascent extends NoiseRounds {
    private final Oracle oracle;
    private final String scorer;
    private final Config c;
    private final Trace trace;
    private final double[][] z;
    private final NoiseOptimizer.State[] states;
    private final double[] g;

    Ascent(NoiseGenerator generator, Oracle oracle, String scorer, Config c, Trace trace, SearchContext ctx) {
      super(generator, c.restarts(), ctx);
      this.oracle = oracle;
      this.scorer = scorer;
      this.c = c;
      this.trace = trace;
      int n = c.restarts();
      int d = generator.noiseDimension();
      this.z = new double[n][d];
      this.states = new NoiseOptimizer.State[n];
      this.g = new double[d];
      for (int i = 0; i < n; i++) {
        best[i] = NoiseSearchBuilder.initialNoise(ctx, i, d);
        for (int j = 0; j < d; j++) {
          z[i][j] = best[i][j];
        }
        states[i] = c.optimizer().start(d);
      }
    }

    @Override
    public int live() {
      return c.restarts();
    }

    @Override
    public boolean done() {
      return steps >= c.iterations();
    }

    @Override
    public void round(int t) {
      Probe probe = oracle.probe(toFloat(z), t, ctx);
      for (int i = 0; i < c.restarts(); i++) {
        double reward = probe.rewards()[i];
        ctx.emit(new SearchEvent.Score(i, scorer, reward));
        if (!Double.isNaN(reward) && (Double.isNaN(bestReward[i]) || reward >= bestReward[i])) {
          bestReward[i] = reward;
          best[i] = probe.points()[i].clone();
        }
        objectiveGradient(z[i], probe.gradients()[i], c.regularizer(), g);
        double raw = Math.sqrt(ChiNorm.squaredNorm(g));
        double applied = clip(g, raw, c.gradientClip());
        trace.step(t, i, reward, bestReward[i], raw, applied);
        states[i].ascend(z[i], g);
      }
      record(t, probe.rewards());
      steps = t + 1;
    }
  }

  /** g = grad reward - lambda grad reg(z). */
  private static void objectiveGradient(double[] z, double[] rewardGradient, double lambda, double[] g) {
    if (lambda == 0) {
      System.arraycopy(rewardGradient, 0, g, 0, g.length);
      return;
    }
    ChiNorm.gradient(z, g);
    for (int j = 0; j < g.length; j++) {
      g[j] = rewardGradient[j] - lambda * g[j];
    }
  }

  /** Scales g to norm {@code bound} when longer (0 or infinity: off); returns the norm of the applied g. */
  static double clip(double[] g, double norm, double bound) {
    if (bound == 0 || Double.isInfinite(bound) || norm <= bound) {
      return norm;
    }
    double scale = bound / norm;
    for (int j = 0; j < g.length; j++) {
      g[j] *= scale;
    }
    return Math.sqrt(ChiNorm.squaredNorm(g));
  }

  private static float[][] toFloat(double[][] z) {
    float[][] out = new float[z.length][];
    for (int i = 0; i < z.length; i++) {
      out[i] = new float[z[i].length];
      for (int j = 0; j < z[i].length; j++) {
        out[i][j] = (float) z[i][j];
      }
    }
    return out;
  }
}
