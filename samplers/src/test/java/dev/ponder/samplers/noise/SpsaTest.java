package dev.ponder.samplers.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.Budget;
import dev.ponder.engine.NoiseReward;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.noise.NoiseSearchBuilder.SpsaSearch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpsaTest {
  static final int D = 6;
  final LinearGenerator generator = new LinearGenerator(D);
  final QuadraticNoiseReward reward = new QuadraticNoiseReward(generator, RenoTest.TARGET);

  SpsaSearch quadratic() {
    return Search.spsa(generator, reward).optimizer(NoiseOptimizer.sgdNesterov(0.05, 0.5)).gradientClip(0)
        .regularizer(0).perturbation(1e-3);
  }

  @Test
  void spsaImprovesTheQuadraticByALargeFactorAndEndsNearTheOptimum() {
    List<Double> scores = new ArrayList<>();
    NoiseSearchBuilder.Result r = quadratic().iterations(1500).seed(1)
        .listener(e -> { if (e instanceof SearchEvent.Score s) scores.add(s.score()); }).runWithNoise();
    double first = scores.get(0);
    double best = r.search().best().score();
    assertThat(first).isLessThan(-1);
    assertThat(best).isGreaterThan(first * 1e-6);
    assertThat(RenoTest.distance(r.bestNoise(), reward.optimum())).isLessThan(1e-2);
    assertThat(best).isEqualTo(reward.reward(r.bestNoise()));
    assertThat(scores).hasSize(1500).allMatch(s -> s <= best);
  }

  @Test
  void thePerturbationsAreRademacherAndBothPointsOfEveryRestartAreOneBatch() {
    List<float[][]> batches = new ArrayList<>();
    NoiseReward recording = (noise, ctx) -> {
      batches.add(noise);
      return reward.value(noise, ctx);
    };
    double c = 0.25;
    Search.spsa(generator, recording).restarts(3).iterations(10).perturbation(c).run();
    assertThat(batches).hasSize(10).allMatch(b -> b.length == 6);
    int plus = 0;
    for (float[][] b : batches) {
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < D; j++) {
          double delta = (b[2 * i][j] - b[2 * i + 1][j]) / (2 * c);
          assertThat(Math.abs(delta)).isCloseTo(1, offset(1e-5));
          plus += delta > 0 ? 1 : 0;
        }
      }
    }
    assertThat(plus).isBetween(60, 120); // 180 fair coin flips
    RandomStreams random = new RandomStreams(42);
    int positives = 0;
    for (int t = 0; t < 100; t++) {
      for (float v : Spsa.rademacher(random, 7, t, 100)) {
        assertThat(v).isIn(-1f, 1f);
        positives += v > 0 ? 1 : 0;
      }
    }
    assertThat(positives).isBetween(4850, 5150);
  }

  @Test
  void aRestartFollowsTheSameTrajectoryAloneOrBatched() {
    NoiseSearchBuilder.Result three = quadratic().restarts(3).iterations(30).seed(8).runWithNoise();
    NoiseSearchBuilder.Result one = quadratic().restarts(1).iterations(30).seed(8).runWithNoise();
    int k = three.restarts().indexOf(0);
    assertThat(one.bestNoise()).containsExactly(three.noises().get(k));
    assertThat(one.search().best()).isEqualTo(three.search().candidates().get(k));
  }

  @Test
  void aVerifierBudgetStopsTheLoopWithTheBestSoFar() {
    NoiseSearchBuilder.Result cut = quadratic().restarts(2).seed(3)
        .budget(Budget.unlimited().withVerifierCalls(4)).runWithNoise();
    NoiseSearchBuilder.Result four = quadratic().restarts(2).iterations(4).seed(3).runWithNoise();
    assertThat(cut.search().outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(cut.search().stopReason().describe()).isEqualTo("verifier calls 4 >= 4");
    assertThat(cut.noises().get(0)).containsExactly(four.noises().get(0));
    assertThat(cut.search().best().score()).isEqualTo(four.search().best().score());
    assertThat(cut.search().best().tokens()).isEqualTo(4);
    assertThat(cut.search().best().finished()).isFalse();
  }

  @Test
  void theRegularizerAndClipApplyToTheEstimate() {
    List<Double> applied = new ArrayList<>();
    Search.spsa(generator, reward).iterations(20).trace((t, i, rew, best, raw, app) -> applied.add(app)).run();
    assertThat(applied).hasSize(20).allMatch(a -> a <= 0.1 + 1e-12);
  }

  @Test
  void builderRejectsBadValues() {
    for (double c : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Search.spsa(generator, reward).perturbation(c))
          .hasMessage("perturbation c must be finite and > 0, was " + c + "; 0.01 suits standard normal noise");
    }
    assertThatThrownBy(() -> Search.spsa(generator, reward).iterations(0)).hasMessageStartingWith("iterations must be >= 1");
  }
}
