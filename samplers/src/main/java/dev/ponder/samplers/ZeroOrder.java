package dev.ponder.samplers;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.StopReason;
import java.util.ArrayList;
import java.util.List;
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
    int p = c.pivots();
    int m = c.neighbours();
    int d = generator.noiseDimension();
    float[][] pivot = new float[p][];
    double[] pivotReward = new double[p];
    for (int i = 0; i < p; i++) {
      pivot[i] = NoiseSearchBuilder.initialNoise(ctx, i, d);
      pivotReward[i] = Double.NaN;
    }
    StopReason outcome = ctx.stopReason();
    List<SearchTrace.Iterates.Iterate> iterates = new ArrayList<>();
    int round = 0;
    if (outcome == null) {
      double[] r = reward.value(pivot, ctx);
      NoiseSearchBuilder.requireRows("reward value", r.length, p);
      System.arraycopy(r, 0, pivotReward, 0, p);
      for (; round < c.rounds(); round++) {
        outcome = ctx.stopReason();
        if (outcome != null) {
          break;
        }
        ctx.emit(new SearchEvent.Step(round, p));
        float[][] batch = new float[p * m][];
        for (int i = 0; i < p; i++) {
          float[][] around = NoiseNeighbours.around(pivot[i], c.cosine(), m, ctx.random(), i, round);
          System.arraycopy(around, 0, batch, i * m, m);
        }
        double[] nr = reward.value(batch, ctx);
        NoiseSearchBuilder.requireRows("reward value", nr.length, p * m);
        for (int i = 0; i < p; i++) {
          int best = -1;
          for (int k = 0; k < m; k++) {
            double v = nr[i * m + k];
            if (!Double.isNaN(v) && (best < 0 || v > nr[i * m + best])) {
              best = k;
            }
          }
          if (best >= 0 && (Double.isNaN(pivotReward[i]) || nr[i * m + best] > pivotReward[i])) {
            pivot[i] = batch[i * m + best];
            pivotReward[i] = nr[i * m + best];
          }
          ctx.emit(new SearchEvent.Score(i, "zero-order", pivotReward[i]));
        }
        iterates.add(new SearchTrace.Iterates.Iterate(round, Reno.boxed(pivotReward), Reno.boxed(pivotReward)));
      }
    }
    return NoiseSearchBuilder.finish(ctx, outcome == null ? StopReason.completed() : outcome, generator, pivot,
        pivotReward, round, new SearchTrace.Iterates(iterates));
  }
}
