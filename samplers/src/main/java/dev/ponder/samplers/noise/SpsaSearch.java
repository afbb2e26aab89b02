package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext;
import java.util.Objects;

/**
 * Gradient-free ReNO: the reward's gradient is estimated by SPSA (Spall 1992; see {@link Spsa}) from two
 * evaluations per restart per iteration, all in one batched call. Defaults: ReNO's optimizer, clip and
 * regularizer (SGD-Nesterov lr 5, momentum 0.9, clip 0.1, weight 0.01), 50 iterations, perturbation c = 0.01
 * (each coordinate moves by +-0.01: about 1% of a standard normal noise's norm, small enough for the central
 * difference to be accurate, large enough to stay above float rounding).
 */
public final class SpsaSearch extends NoiseSearchBuilder.Ascent<SpsaSearch> {
  private final NoiseReward reward;
  private double perturbation = 0.01;

  public SpsaSearch(NoiseGenerator generator, NoiseReward reward) {
    super(generator);
    this.reward = Objects.requireNonNull(reward, "reward");
  }

  /** c, the size of each coordinate's perturbation; default 0.01. */
  public SpsaSearch perturbation(double c) {
    this.perturbation = requirePositive("perturbation c", c, "0.01 suits standard normal noise");
    return this;
  }

  @Override
  Result search(SearchContext ctx) {
    return Reno.ascend(generator, Spsa.estimate(reward, perturbation), "spsa", config(), trace, ctx);
  }
}
