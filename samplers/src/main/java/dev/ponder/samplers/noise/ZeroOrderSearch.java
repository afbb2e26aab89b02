package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext;
import java.util.Objects;

/**
 * Zero-order search over noise (Ma et al., 2025; see {@link ZeroOrder}). Defaults: 10 rounds of 8 neighbours at
 * cosine 0.95 (an 18 degree step on the pivot's sphere: small enough that a better neighbour is likely near a
 * good pivot, large enough to leave a poor region within a few rounds), one pivot. Each round is one batched
 * reward call of pivots x neighbours noises.
 */
public final class ZeroOrderSearch extends NoiseSearchBuilder<ZeroOrderSearch> {
  private final NoiseReward reward;
  private int rounds = 10;
  private int neighbours = 8;
  private double cosine = 0.95;

  public ZeroOrderSearch(NoiseGenerator generator, NoiseReward reward) {
    super(generator);
    this.reward = Objects.requireNonNull(reward, "reward");
  }

  /** Rounds of neighbour search (one batched reward call each); default 10. */
  public ZeroOrderSearch rounds(int n) {
    this.rounds = requireAtLeast("rounds", n, 1, "the default is 10");
    return this;
  }

  /** Neighbours drawn around each pivot per round (M); default 8. */
  public ZeroOrderSearch neighbours(int m) {
    this.neighbours = requireAtLeast("neighbours", m, 1, "the default is 8");
    return this;
  }

  /** cos(neighbour, pivot), in (-1, 1); default 0.95. */
  public ZeroOrderSearch cosine(double value) {
    if (!(value > -1 && value < 1)) {
      throw new IllegalArgumentException("cosine must be in (-1, 1), was " + value
          + "; 1 would never move the pivot, and 0.95 (the default) is a small step, 0 an orthogonal one");
    }
    this.cosine = value;
    return this;
  }

  /** The number of pivots, each searched independently; the same as {@link #restarts}. */
  public ZeroOrderSearch pivots(int n) {
    return restarts(n);
  }

  @Override
  Result search(SearchContext ctx) {
    return ZeroOrder.run(generator, reward, new ZeroOrder.Config(rounds, neighbours, cosine, restarts), ctx);
  }
}
