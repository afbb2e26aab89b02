package dev.ponder.samplers.noise;

import dev.ponder.engine.DifferentiableReward;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reward-guided noise optimization (ReNO, Eyring et al., NeurIPS 2024; see {@link Reno}). Defaults are the
 * paper's: 50 iterations of SGD with Nesterov momentum (lr 5, momentum 0.9), gradient norm clipped to 0.1,
 * chi-norm regularizer weight 0.01, one restart. The objective is the weighted sum of the rewards, the first
 * with weight 1.
 *
 * <pre>{@code
 * NoiseSearchBuilder.Result r = Search.reno(generator, hpsv2).reward(imageReward, 0.5)
 *     .restarts(4).iterations(50).seed(7).runWithNoise();
 * r.search().best().sample(); r.bestNoise();
 * }</pre>
 */
public final class RenoSearch extends NoiseSearchBuilder.Ascent<RenoSearch> {
  private final List<DifferentiableReward> rewards = new ArrayList<>();
  private final List<Double> weights = new ArrayList<>();

  public RenoSearch(NoiseGenerator generator, DifferentiableReward reward) {
    super(generator);
    reward(reward, 1.0);
  }

  /** Adds {@code weight * r} to the objective; one more batched call per iteration. */
  public RenoSearch reward(DifferentiableReward r, double weight) {
    Objects.requireNonNull(r, "reward");
    if (!Double.isFinite(weight) || weight == 0) {
      throw new IllegalArgumentException("reward weight must be finite and non-zero, was " + weight
          + "; a negative weight penalizes that reward, and a reward you do not want is simply not added");
    }
    rewards.add(r);
    weights.add(weight);
    return this;
  }

  @Override
  Result search(SearchContext ctx) {
    Reno.Oracle oracle = Reno.gradientOf(List.copyOf(rewards), List.copyOf(weights), generator.noiseDimension());
    return Reno.ascend(generator, oracle, "reno", config(), trace, ctx);
  }
}
