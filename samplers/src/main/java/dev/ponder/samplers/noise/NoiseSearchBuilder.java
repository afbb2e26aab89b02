package dev.ponder.samplers.noise;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.SearchBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What every search over generator noise is configured with: restarts, plus the budget, seed and listener of
 * every search. Subclasses add their algorithm's knobs and implement {@link #search}.
 *
 * <p>Restart {@code i} has lineage id {@code i}; its starting noise is a standard normal keyed by
 * {@code (lineage i, step -1, NOISE, j)}, and every later draw is keyed by its lineage too, so restart {@code i}
 * follows the same trajectory however many restarts are batched with it.
 *
 * <p>{@link #run()} returns the usual {@link SearchResult}: one {@link Candidate} per restart, ranked by its best
 * reward, whose sample is the generator's output for the best noise. {@link #runWithNoise()} also returns the
 * noise vectors themselves. The samples come from one batched generator call after the search, made even when
 * the budget ran out (the result must hold samples).
 */
public abstract sealed class NoiseSearchBuilder<B extends NoiseSearchBuilder<B>> extends SearchBuilder<B>
    permits NoiseSearchBuilder.Ascent, NoiseSearchBuilder.ZeroOrderSearch {
  protected final NoiseGenerator generator;
  int restarts = 1;

  NoiseSearchBuilder(NoiseGenerator generator) {
    this.generator = Objects.requireNonNull(generator, "generator");
    requireAtLeast("generator.noiseDimension()", generator.noiseDimension(), 1, "the generator must take noise");
  }

  /** Independent noise vectors searched together, each one batch row (default 1). */
  public B restarts(int n) {
    this.restarts = requireAtLeast("restarts", n, 1, "use 1 for a single noise vector");
    return self();
  }

  /** Runs the search: one candidate per restart, best first. */
  public SearchResult run() {
    return runWithNoise().search();
  }

  /** Runs the search and also returns the best noise of every restart, in the candidates' order. */
  public Result runWithNoise() {
    return search(newContext());
  }

  abstract Result search(SearchContext ctx);

  /**
   * A noise search's result with its noise vectors.
   *
   * @param search   the ranked candidates, outcome and stats
   * @param noises   {@code noises.get(k)} is the noise whose sample is {@code search.candidates().get(k)}
   * @param restarts {@code restarts.get(k)} is the restart (lineage id) that candidate {@code k} came from
   */
  public record Result(SearchResult search, List<float[]> noises, List<Integer> restarts) {
    public Result {
      Objects.requireNonNull(search, "search");
      noises = noises.stream().map(float[]::clone).toList();
      restarts = List.copyOf(restarts);
    }

    /** Copies of the noise vectors. */
    @Override
    public List<float[]> noises() {
      return noises.stream().map(float[]::clone).toList();
    }

    /** A copy of the best noise vector. */
    public float[] bestNoise() {
      return noises.get(0).clone();
    }
  }

  /** The starting noise of restart {@code lineage}: a standard normal keyed by (lineage, -1, NOISE, j). */
  static float[] initialNoise(SearchContext ctx, long lineage, int dimension) {
    float[] z = new float[dimension];
    for (int j = 0; j < dimension; j++) {
      z[j] = (float) NoiseNeighbours.standardNormal(ctx.random(), lineage, -1, j);
    }
    return z;
  }

  /** A model output's row count, checked on arrival. */
  static void requireRows(String source, int found, int expected) {
    if (found != expected) {
      throw new IllegalStateException(source + " returned " + found + " rows for " + expected
          + " noise vectors; it must return one per noise vector, in order");
    }
  }

  static int requireAtLeast(String name, int value, int min, String fix) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value + "; " + fix);
    }
    return value;
  }

  static double requirePositive(String name, double value, String fix) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, was " + value + "; " + fix);
    }
    return value;
  }

  /**
   * The knobs shared by the noise searches that ascend a (true or estimated) gradient: iterations, optimizer,
   * gradient-norm clip and chi-norm regularizer weight. See {@link RenoSearch} for the defaults' source.
   */
  public abstract static sealed class Ascent<B extends Ascent<B>> extends NoiseSearchBuilder<B>
      permits RenoSearch, SpsaSearch {
    int iterations = 50;
    NoiseOptimizer optimizer = NoiseOptimizer.sgdNesterov(5, 0.9);
    double gradientClip = 0.1;
    double regularizer = 0.01;
    Reno.Trace trace = Reno.Trace.NONE;

    Ascent(NoiseGenerator generator) {
      super(generator);
    }

    /** Optimizer steps (one batched reward call each); default 50. */
    public B iterations(int n) {
      this.iterations = requireAtLeast("iterations", n, 1, "ReNO uses 50");
      return self();
    }

    /** Default {@code NoiseOptimizer.sgdNesterov(5, 0.9)}, ReNO's. */
    public B optimizer(NoiseOptimizer value) {
      this.optimizer = Objects.requireNonNull(value, "optimizer");
      return self();
    }

    /**
     * Before each step the objective's gradient of each noise vector is scaled down to L2 norm {@code bound}
     * when longer; default 0.1 (ReNO's); 0 or infinity turns clipping off.
     */
    public B gradientClip(double bound) {
      if (!(bound >= 0)) {
        throw new IllegalArgumentException("gradientClip must be >= 0, was " + bound
            + "; ReNO uses 0.1, and 0 or Double.POSITIVE_INFINITY turns clipping off");
      }
      this.gradientClip = bound;
      return self();
    }

    /** The weight of the chi-norm regularizer {@link ChiNorm} subtracted from the reward; default 0.01, 0 = off. */
    public B regularizer(double weight) {
      if (!(weight >= 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("regularizer weight must be finite and >= 0, was " + weight
            + "; ReNO uses 0.01, and 0 turns the regularizer off");
      }
      this.regularizer = weight;
      return self();
    }

    /** A hook for tests: sees every restart's reward, best reward and gradient norms each iteration. */
    B trace(Reno.Trace value) {
      this.trace = Objects.requireNonNull(value, "trace");
      return self();
    }

    Reno.Config config() {
      return new Reno.Config(iterations, optimizer, gradientClip, regularizer, restarts);
    }
  }

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
  public static final class RenoSearch extends NoiseSearchBuilder.Ascent<RenoSearch> {
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

  /**
   * Gradient-free ReNO: the reward's gradient is estimated by SPSA (Spall 1992; see {@link Spsa}) from two
   * evaluations per restart per iteration, all in one batched call. Defaults: ReNO's optimizer, clip and
   * regularizer (SGD-Nesterov lr 5, momentum 0.9, clip 0.1, weight 0.01), 50 iterations, perturbation c = 0.01
   * (each coordinate moves by +-0.01: about 1% of a standard normal noise's norm, small enough for the central
   * difference to be accurate, large enough to stay above float rounding).
   */
  public static final class SpsaSearch extends NoiseSearchBuilder.Ascent<SpsaSearch> {
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

  /**
   * Zero-order search over noise (Ma et al., 2025; see {@link ZeroOrder}). Defaults: 10 rounds of 8 neighbours at
   * cosine 0.95 (an 18 degree step on the pivot's sphere: small enough that a better neighbour is likely near a
   * good pivot, large enough to leave a poor region within a few rounds), one pivot. Each round is one batched
   * reward call of pivots x neighbours noises.
   */
  public static final class ZeroOrderSearch extends NoiseSearchBuilder<ZeroOrderSearch> {
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
}
