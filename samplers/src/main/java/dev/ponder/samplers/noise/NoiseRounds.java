package dev.ponder.samplers.noise;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A noise search as the {@link RoundDriver} runs it: restarts each keep their best noise and its reward; a round is
 * an iteration; the end ranks the restarts by best reward (unscored, NaN, last; ties by restart) and generates
 * their samples in one batched call, even when the budget ran out (the result must hold samples).
 */
abstract class NoiseRounds implements Rounds {
  final NoiseGenerator generator;
  final SearchContext ctx;
  final float[][] best;
  final double[] bestReward;
  final List<SearchTrace.Iterates.Iterate> iterates = new ArrayList<>();
  /** Iterations completed, each sample's step count. */
  int steps;
  private List<Integer> order = List.of();
  private float[][] ranked = new float[0][];

  NoiseRounds(NoiseGenerator generator, int restarts, SearchContext ctx) {
    this.generator = generator;
    this.ctx = ctx;
    this.best = new float[restarts][];
    this.bestReward = new double[restarts];
    Arrays.fill(bestReward, Double.NaN);
  }

  /** Records this iteration's rewards, and the best so far, in the trace. */
  final void record(int iteration, double[] rewards) {
    iterates.add(new SearchTrace.Iterates.Iterate(iteration, boxed(rewards), boxed(bestReward)));
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    List<Integer> byReward = new ArrayList<>();
    for (int i = 0; i < best.length; i++) {
      byReward.add(i);
    }
    byReward.sort(Comparator.comparingDouble((Integer i) -> ScoreCheck.rankable(bestReward[i])).reversed());
    order = byReward;
    ranked = order.stream().map(i -> best[i]).toArray(float[][]::new);
    float[][] samples = generator.generate(ranked, ctx);
    NoiseSearchBuilder.requireRows("generator.generate", samples.length, ranked.length);
    List<Candidate> candidates = new ArrayList<>();
    for (int k = 0; k < ranked.length; k++) {
      candidates.add(Candidate.ofSample(samples[k], bestReward[order.get(k)], steps,
          why.outcome() == Outcome.COMPLETED));
    }
    return candidates;
  }

  @Override
  public void release() {
    // noise vectors are plain arrays: nothing native to free
  }

  @Override
  public SearchTrace trace() {
    return new SearchTrace.Iterates(iterates);
  }

  /** The search's result with the noise of every candidate and the restart it came from. */
  final NoiseSearchBuilder.Result result(SearchResult search) {
    return new NoiseSearchBuilder.Result(search, Arrays.asList(ranked), order);
  }

  /** Runs the search through the driver. */
  final NoiseSearchBuilder.Result run() {
    return result(RoundDriver.run(this, ctx));
  }

  static List<Double> boxed(double[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
