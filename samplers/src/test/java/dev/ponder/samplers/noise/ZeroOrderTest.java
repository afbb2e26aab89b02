package dev.ponder.samplers.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.noise.NoiseSearchBuilder.ZeroOrderSearch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ZeroOrderTest {
  static final int D = 6;
  final LinearGenerator generator = new LinearGenerator(D);
  // z* has norm about 2.2, near the norm of a 6-dim standard normal, so the pivot's sphere passes close to it
  final QuadraticNoiseReward reward = new QuadraticNoiseReward(generator, new double[] {1.5, -0.5, 0.8, -1.2, 0.3, 0.4});

  @Test
  void thePivotRewardNeverDecreasesAndImprovesSubstantiallyWithOneBatchedCallPerRound() {
    Map<Long, List<Double>> byPivot = new HashMap<>();
    List<SearchEvent> events = new ArrayList<>();
    NoiseSearchBuilder.Result r = Search.zeroOrder(generator, reward).pivots(2).rounds(30).neighbours(8).seed(4)
        .listener(e -> {
          events.add(e);
          if (e instanceof SearchEvent.Score s) {
            byPivot.computeIfAbsent(s.lineage(), k -> new ArrayList<>()).add(s.score());
          }
        }).runWithNoise();
    double initial0 = reward.reward(NoiseSearchBuilder.initialNoise(
        dev.ponder.engine.SearchContext.builder().seed(4).build(), 0, D));
    assertThat(byPivot).hasSize(2);
    for (List<Double> rewards : byPivot.values()) {
      assertThat(rewards).hasSize(30).isSorted();
    }
    List<Double> pivot0 = byPivot.get(0L);
    assertThat(pivot0.get(0)).isGreaterThanOrEqualTo(initial0);
    assertThat(-pivot0.get(29)).isLessThan(0.2 * -initial0);
    assertThat(reward.batchSizes).hasSize(31).startsWith(2).containsOnlyOnce(2);
    assertThat(reward.batchSizes.subList(1, 31)).containsOnly(16);
    assertThat(r.search().stats().verifierCalls()).isEqualTo(31);
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Step).count()).isEqualTo(30);
    int k = r.restarts().indexOf(0);
    assertThat(r.search().candidates().get(k).score()).isEqualTo(pivot0.get(29));
    assertThat(r.search().candidates().get(k).score()).isEqualTo(reward.reward(r.noises().get(k)));
    assertThat(r.search().candidates().get(k).tokens()).isEqualTo(30);
  }

  @Test
  void everyPivotKeepsItsStartingNorm() {
    dev.ponder.engine.SearchContext ctx = dev.ponder.engine.SearchContext.builder().seed(6).build();
    double start = RenoTest.norm(NoiseSearchBuilder.initialNoise(ctx, 0, D));
    float[] end = Search.zeroOrder(generator, reward).rounds(40).seed(6).runWithNoise().bestNoise();
    assertThat(Math.abs(RenoTest.norm(end) - start) / start).isLessThan(1e-5);
  }

  @Test
  void aPivotFollowsTheSameTrajectoryAloneOrBatched() {
    NoiseSearchBuilder.Result three = Search.zeroOrder(generator, reward).pivots(3).rounds(12).seed(2)
        .runWithNoise();
    NoiseSearchBuilder.Result one = Search.zeroOrder(generator, reward).pivots(1).rounds(12).seed(2)
        .runWithNoise();
    int k = three.restarts().indexOf(0);
    assertThat(one.bestNoise()).containsExactly(three.noises().get(k));
    assertThat(one.search().best()).isEqualTo(three.search().candidates().get(k));
  }

  @Test
  void aVerifierBudgetStopsTheRoundsWithTheBestSoFar() {
    NoiseSearchBuilder.Result cut = Search.zeroOrder(generator, reward).seed(3)
        .budget(Budget.unlimited().withVerifierCalls(3)).runWithNoise();
    NoiseSearchBuilder.Result two = Search.zeroOrder(generator, new QuadraticNoiseReward(generator, reward.target))
        .rounds(2).seed(3).runWithNoise();
    assertThat(cut.search().outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(cut.search().stopReason().describe()).isEqualTo("verifier calls 3 >= 3");
    assertThat(cut.bestNoise()).containsExactly(two.bestNoise());
    assertThat(cut.search().best().score()).isEqualTo(two.search().best().score());
    assertThat(cut.search().best().tokens()).isEqualTo(2);
    assertThat(cut.search().best().finished()).isFalse();
  }

  @Test
  void builderRejectsBadValues() {
    ZeroOrderSearch b = Search.zeroOrder(generator, reward);
    assertThatThrownBy(() -> b.rounds(0)).hasMessage("rounds must be >= 1, was 0; the default is 10");
    assertThatThrownBy(() -> b.neighbours(0)).hasMessage("neighbours must be >= 1, was 0; the default is 8");
    assertThatThrownBy(() -> b.pivots(0)).hasMessageStartingWith("restarts must be >= 1, was 0");
    for (double c : new double[] {1, -1, 2, Double.NaN}) {
      assertThatThrownBy(() -> b.cosine(c)).hasMessageStartingWith("cosine must be in (-1, 1), was " + c + "; ");
    }
  }
}
