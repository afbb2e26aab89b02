package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;

/**
 * Zero-order search over noise (Ma, Tong, et al., "Inference-time scaling for diffusion models beyond scaling
 * denoising steps", 2025, Section 3.2): a hill climb that needs only reward values.
 *
 * <p>Each restart has a pivot p, a standard normal draw, scored once at the start (one batched call). Each round
 * r: every pivot gets M neighbours at cosine c ({@link NoiseNeighbours}, keyed by (restart, r)); all P M of them
 * are scored in one batched call; a pivot moves to its best neighbour when that neighbour's reward is strictly
 * higher, else stays. So R rounds cost R + 1 reward calls, a pivot's reward never decreases, and every pivot keeps
 * its starting norm (neighbours share the pivot's norm). The answer per restart is its final pivot.
 *
 * <p>Events: {@link SearchEvent.Step}(r, pivots) per round, then {@link SearchEvent.Score}(restart, "zero-order",
 * pivot reward after the round) per restart. The budget is checked before the first evaluation and every round.
 */
final class ZeroOrder {
  private ZeroOrder() {
  }

  /** Configuration, validated by the builder. */
  record Config(int rounds, int neighbours, double cosine, int pivots) {}

  static NoiseSearchBuilder.Result run(NoiseGenerator generator, NoiseReward reward, Config c, SearchContext ctx) {
    return new Climb(generator, reward, c, ctx).run();
  }

  /** The pivots' first evaluation, then one round of neighbours a round. */
  private static final class Climb extends NoiseRounds {
    private final NoiseReward reward;
    private final Config c;
    private boolean evaluated;

    Climb(NoiseGenerator generator, NoiseReward reward, Config c, SearchContext ctx) {
      super(generator, c.pivots(), ctx);
      this.reward = reward;
      this.c = c;
      for (int i = 0; i < c.pivots(); i++) {
        best[i] = NoiseSearchBuilder.initialNoise(ctx, i, generator.noiseDimension());
      }
    }

    @Override
    public int live() {
      return c.pivots();
    }

    @Override
    public boolean done() {
      return steps >= c.rounds();
    }

    @Override
    public void round(int round) {
      int p = c.pivots();
      int m = c.neighbours();
      if (!evaluated) {
        evaluated = true;
        double[] r = reward.value(best, ctx);
        NoiseSearchBuilder.requireRows("reward value", r.length, p);
        System.arraycopy(r, 0, bestReward, 0, p);
        if (ctx.stopReason() != null) {
          return; // the first evaluation spent the budget: no neighbours this round
        }
      }
      float[][] batch = new float[p * m][];
      for (int i = 0; i < p; i++) {
        float[][] around = NoiseNeighbours.around(best[i], c.cosine(), m, ctx.random(), i, round);
        System.arraycopy(around, 0, batch, i * m, m);
      }
      double[] nr = reward.value(batch, ctx);
      NoiseSearchBuilder.requireRows("reward value", nr.length, p * m);
      for (int i = 0; i < p; i++) {
        int top = -1;
        for (int k = 0; k < m; k++) {
          double v = nr[i * m + k];
          if (!Double.isNaN(v) && (top < 0 || v > nr[i * m + top])) {
            top = k;
          }
        }
        if (top >= 0 && (Double.isNaN(bestReward[i]) || nr[i * m + top] > bestReward[i])) {
          best[i] = batch[i * m + top];
          bestReward[i] = nr[i * m + top];
        }
        ctx.emit(new SearchEvent.Score(i, "zero-order", bestReward[i]));
      }
      record(round, bestReward);
      steps = round + 1;
    }
  }
}
