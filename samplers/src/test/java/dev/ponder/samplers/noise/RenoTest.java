package dev.ponder.samplers.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.Budget;
import dev.ponder.engine.NoiseReward.DifferentiableReward;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.noise.NoiseSearchBuilder.RenoSearch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenoTest {
  static final int D = 6;
  static final double[] TARGET = {1.5, -0.5, 0.8, -1.2, 0.3, 2.0};

  final LinearGenerator generator = new LinearGenerator(D);
  final QuadraticNoiseReward reward = new QuadraticNoiseReward(generator, TARGET);

  static double distance(float[] z, double[] zStar) {
    double s = 0;
    for (int j = 0; j < z.length; j++) {
      s += (z[j] - zStar[j]) * (z[j] - zStar[j]);
    }
    return Math.sqrt(s);
  }

  static double norm(float[] z) {
    double s = 0;
    for (float v : z) {
      s += (double) v * v;
    }
    return Math.sqrt(s);
  }

  @Test
  void sgdNesterovConvergesToTheLeastSquaresOptimum() {
    NoiseSearchBuilder.Result r = Search.reno(generator, reward).optimizer(NoiseOptimizer.sgdNesterov(0.1, 0.9))
        .gradientClip(0).regularizer(0).iterations(400).seed(3).runWithNoise();
    assertThat(distance(r.bestNoise(), reward.optimum())).isLessThan(1e-3);
    assertThat(r.search().best().score()).isCloseTo(0, offset(1e-6));
    assertThat(r.search().outcome()).isEqualTo(Outcome.COMPLETED);
  }

  @Test
  void adamConvergesToTheLeastSquaresOptimum() {
    NoiseSearchBuilder.Result r = Search.reno(generator, reward).optimizer(NoiseOptimizer.adam(0.05))
        .gradientClip(0).regularizer(0).iterations(2000).seed(3).runWithNoise();
    assertThat(distance(r.bestNoise(), reward.optimum())).isLessThan(1e-3);
  }

  @Test
  void weightedRewardsAreAscendedTogetherWithOneCallEachPerIteration() {
    double[] other = {-1, 0, 1, 0, -1, 0};
    QuadraticNoiseReward second = new QuadraticNoiseReward(generator, other);
    List<Double> scores = new ArrayList<>();
    NoiseSearchBuilder.Result r = Search.reno(generator, reward).reward(second, 3)
        .optimizer(NoiseOptimizer.sgdNesterov(0.05, 0.9)).gradientClip(0).regularizer(0).iterations(500)
        .listener(e -> { if (e instanceof SearchEvent.Score s) scores.add(s.score()); }).runWithNoise();
    // sum of (1, 3)-weighted quadratics = 4 x the quadratic around the weighted mean target
    double[] mean = new double[D];
    for (int i = 0; i < D; i++) {
      mean[i] = (TARGET[i] + 3 * other[i]) / 4;
    }
    double[] zStar = new QuadraticNoiseReward(generator, mean).optimum();
    assertThat(distance(r.bestNoise(), zStar)).isLessThan(1e-3);
    assertThat(reward.batchSizes).hasSize(500);
    assertThat(second.batchSizes).hasSize(500);
    float[] z = r.bestNoise();
    assertThat(r.search().best().score()).isEqualTo(reward.reward(z) + 3 * second.reward(z), offset(1e-9));
    assertThat(scores.stream().mapToDouble(Double::doubleValue).max().orElseThrow())
        .isEqualTo(r.search().best().score());
  }

  @Test
  void theRegularizerAloneDrivesTheNormToSqrtOfDMinusOneAlongTheStartingDirection() {
    DifferentiableReward flat = (noise, ctx) -> new DifferentiableReward.ValueAndGradient(
        new double[noise.length], new float[noise.length][D]);
    float[] z0 = Search.reno(generator, flat).iterations(1).seed(11).runWithNoise().bestNoise();
    float[] z = Search.reno(generator, flat).optimizer(NoiseOptimizer.sgdNesterov(0.1, 0.5)).gradientClip(0)
        .regularizer(1).iterations(300).seed(11).runWithNoise().bestNoise();
    assertThat(norm(z)).isCloseTo(Math.sqrt(D - 1), offset(1e-5));
    assertThat(norm(z0)).isNotCloseTo(Math.sqrt(D - 1), offset(0.1));
    double dot = 0;
    for (int j = 0; j < D; j++) {
      dot += (double) z[j] * z0[j];
    }
    assertThat(dot / (norm(z) * norm(z0))).isCloseTo(1, offset(1e-6));
  }

  @Test
  void everyAppliedGradientIsClippedToTheBound() {
    QuadraticNoiseReward far = new QuadraticNoiseReward(generator, new double[] {20, -20, 15, -15, 10, -10});
    List<double[]> norms = new ArrayList<>();
    Search.reno(generator, far).optimizer(NoiseOptimizer.sgdNesterov(0.5, 0.9)).restarts(2).iterations(30)
        .trace((t, i, rew, best, raw, applied) -> norms.add(new double[] {raw, applied})).run();
    assertThat(norms).hasSize(60);
    assertThat(norms.stream().mapToDouble(n -> n[1]).max().orElseThrow()).isLessThanOrEqualTo(0.1 + 1e-12);
    assertThat(norms.stream().mapToDouble(n -> n[0]).min().orElseThrow()).isGreaterThan(10);
    for (double[] n : norms) {
      assertThat(n[1]).isCloseTo(0.1, offset(1e-12));
    }
  }

  @Test
  void theBestIterateNeverGetsWorseWhileTheIteratesOscillate() {
    List<Double> rewards = new ArrayList<>();
    List<Double> bests = new ArrayList<>();
    SearchResult result = Search.reno(generator, reward).iterations(200).regularizer(0).seed(5)
        .trace((t, i, rew, best, raw, applied) -> { rewards.add(rew); bests.add(best); }).run();
    boolean decreased = false;
    double runningMax = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < rewards.size(); t++) {
      decreased |= t > 0 && rewards.get(t) < rewards.get(t - 1);
      runningMax = Math.max(runningMax, rewards.get(t));
      assertThat(bests.get(t)).isEqualTo(runningMax);
      if (t > 0) {
        assertThat(bests.get(t)).isGreaterThanOrEqualTo(bests.get(t - 1));
      }
    }
    assertThat(decreased).as("lr 5 with momentum 0.9 on a small quadratic overshoots").isTrue();
    assertThat(result.best().score()).isEqualTo(runningMax);
    double previous = Double.NEGATIVE_INFINITY;
    for (int n = 1; n <= 30; n++) {
      double best = Search.reno(generator, reward).iterations(n).regularizer(0).seed(5).run().best().score();
      assertThat(best).isGreaterThanOrEqualTo(previous);
      previous = best;
    }
  }

  @Test
  void candidatesAreRankedSamplesOfTheirNoiseWithOneEventPerRestartPerIteration() {
    List<SearchEvent> events = new ArrayList<>();
    NoiseSearchBuilder.Result r = Search.reno(generator, reward).restarts(4).iterations(7).seed(2)
        .listener(events::add).runWithNoise();
    List<Double> scores = r.search().candidates().stream().map(c -> c.score()).toList();
    assertThat(scores).isSortedAccordingTo((a, b) -> Double.compare(b, a)).hasSize(4);
    assertThat(r.restarts()).containsExactlyInAnyOrder(0, 1, 2, 3);
    for (int k = 0; k < 4; k++) {
      float[] noise = r.noises().get(k);
      assertThat(r.search().candidates().get(k).sample())
          .containsExactly(generator.generate(new float[][] {noise}, dev.ponder.engine.SearchContext.builder()
              .build())[0]);
      assertThat(r.search().candidates().get(k).score()).isEqualTo(reward.reward(noise));
      assertThat(r.search().candidates().get(k).tokens()).isEqualTo(7);
      assertThat(r.search().candidates().get(k).finished()).isTrue();
    }
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Step).count()).isEqualTo(7);
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Score s && s.scorer().equals("reno"))
        .count()).isEqualTo(28);
    assertThat(events.get(events.size() - 1)).isInstanceOf(SearchEvent.Done.class);
    assertThat(reward.batchSizes).containsOnly(4).hasSize(7);
    assertThat(r.search().stats().verifierCalls()).isEqualTo(7);
    assertThat(r.search().stats().modelCalls()).isEqualTo(1);
  }

  @Test
  void aRestartFollowsTheSameTrajectoryAloneOrBatched() {
    NoiseSearchBuilder.Result three = Search.reno(generator, reward).restarts(3).iterations(20).seed(9)
        .runWithNoise();
    for (int restart = 0; restart < 2; restart++) {
      NoiseSearchBuilder.Result fewer = Search.reno(generator, reward).restarts(restart + 1).iterations(20)
          .seed(9).runWithNoise();
      int inThree = three.restarts().indexOf(restart);
      int inFewer = fewer.restarts().indexOf(restart);
      assertThat(fewer.noises().get(inFewer)).containsExactly(three.noises().get(inThree));
      assertThat(fewer.search().candidates().get(inFewer)).isEqualTo(three.search().candidates().get(inThree));
    }
    NoiseSearchBuilder.Result again = Search.reno(generator, reward).restarts(3).iterations(20).seed(9)
        .runWithNoise();
    assertThat(again.search().candidates()).isEqualTo(three.search().candidates());
    NoiseSearchBuilder.Result other = Search.reno(generator, reward).restarts(3).iterations(20).seed(10)
        .runWithNoise();
    assertThat(other.search().candidates()).isNotEqualTo(three.search().candidates());
  }

  @Test
  void aVerifierBudgetStopsTheLoopWithTheBestSoFar() {
    NoiseSearchBuilder.Result cut = Search.reno(generator, reward).restarts(2).seed(4)
        .budget(Budget.unlimited().withVerifierCalls(5)).runWithNoise();
    NoiseSearchBuilder.Result five = Search.reno(generator, new QuadraticNoiseReward(generator, TARGET))
        .restarts(2).iterations(5).seed(4).runWithNoise();
    assertThat(cut.search().outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(cut.search().stopReason().describe()).isEqualTo("verifier calls 5 >= 5");
    assertThat(reward.batchSizes).hasSize(5);
    for (int k = 0; k < 2; k++) {
      assertThat(cut.noises().get(k)).containsExactly(five.noises().get(k));
      assertThat(cut.search().candidates().get(k).score()).isEqualTo(five.search().candidates().get(k).score());
      assertThat(cut.search().candidates().get(k).tokens()).isEqualTo(5);
      assertThat(cut.search().candidates().get(k).finished()).isFalse();
    }
  }

  @Test
  void aDeadlineStopsTheLoop() {
    long[] now = {0};
    SearchResult r = Search.reno(generator, reward).iterations(1000).budget(Budget.deadlineOf(Duration.ofMillis(10)))
        .clock(() -> now[0] += 1_000_000).run();
    assertThat(r.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(r.stopReason().describe()).startsWith("wall time");
    assertThat(r.best().tokens()).isBetween(1, 9);
    assertThat(r.best().score()).isFinite();
  }

  @Test
  void builderRejectsBadValuesNamingValueRuleAndFix() {
    RenoSearch b = Search.reno(generator, reward);
    assertThatThrownBy(() -> b.iterations(0)).hasMessage("iterations must be >= 1, was 0; ReNO uses 50");
    assertThatThrownBy(() -> b.restarts(0)).hasMessageStartingWith("restarts must be >= 1, was 0; ");
    for (double lr : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> NoiseOptimizer.sgdNesterov(lr, 0.9))
          .hasMessageStartingWith("learningRate must be finite and > 0, was " + lr + "; ReNO uses 5");
      assertThatThrownBy(() -> NoiseOptimizer.adam(lr)).hasMessageStartingWith("learningRate must be");
    }
    for (double mu : new double[] {1, -0.1, Double.NaN}) {
      assertThatThrownBy(() -> NoiseOptimizer.sgdNesterov(1, mu))
          .hasMessage("momentum must be in [0, 1), was " + mu + "; ReNO uses 0.9; 0 is plain gradient ascent");
    }
    assertThatThrownBy(() -> NoiseOptimizer.adam(0.1, 1, 0.999, 1e-8)).hasMessageStartingWith("beta1 must be in [0, 1)");
    assertThatThrownBy(() -> NoiseOptimizer.adam(0.1, 0.9, -1, 1e-8)).hasMessageStartingWith("beta2 must be in [0, 1)");
    assertThatThrownBy(() -> NoiseOptimizer.adam(0.1, 0.9, 0.999, 0)).hasMessageStartingWith("eps must be finite and > 0");
    for (double clip : new double[] {-0.1, Double.NaN}) {
      assertThatThrownBy(() -> b.gradientClip(clip))
          .hasMessageStartingWith("gradientClip must be >= 0, was " + clip + "; ReNO uses 0.1");
    }
    for (double w : new double[] {-0.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> b.regularizer(w)).hasMessageStartingWith("regularizer weight must be finite and >= 0, was " + w);
    }
    for (double w : new double[] {0, Double.NaN}) {
      assertThatThrownBy(() -> b.reward(reward, w)).hasMessageStartingWith("reward weight must be finite and non-zero, was " + w);
    }
    b.gradientClip(0).gradientClip(Double.POSITIVE_INFINITY).regularizer(0); // off switches are accepted
  }

  // NoiseOptimizer

  @Test
  void oneAndTwoNesterovStepsMatchHandComputedValues() {
    NoiseOptimizer.State s = NoiseOptimizer.sgdNesterov(0.5, 0.9).start(2);
    double[] z = {1, 2};
    s.ascend(z, new double[] {0.2, -0.4});
    // v = g; z += lr (g + mu v) = 0.5 * 1.9 g
    assertThat(z[0]).isCloseTo(1.19, offset(1e-15));
    assertThat(z[1]).isCloseTo(1.62, offset(1e-15));
    s.ascend(z, new double[] {0.1, 0.1});
    // v = 0.9 (0.2, -0.4) + (0.1, 0.1) = (0.28, -0.26); z += 0.5 ((0.1, 0.1) + 0.9 v) = 0.5 (0.352, -0.134)
    assertThat(z[0]).isCloseTo(1.366, offset(1e-15));
    assertThat(z[1]).isCloseTo(1.553, offset(1e-15));
  }

  @Test
  void oneAndTwoAdamStepsMatchHandComputedValues() {
    NoiseOptimizer.State s = NoiseOptimizer.adam(0.1).start(2);
    double[] z = {1, 2};
    s.ascend(z, new double[] {0.2, -0.4});
    // bias-corrected m = g, s = g^2: z += lr g / (|g| + eps)
    assertThat(z[0]).isCloseTo(1 + 0.1 * 0.2 / (0.2 + 1e-8), offset(1e-15));
    assertThat(z[1]).isCloseTo(2 - 0.1 * 0.4 / (0.4 + 1e-8), offset(1e-15));
    s.ascend(z, new double[] {0.1, 0.1});
    // m = 0.9*0.02 + 0.01 = 0.028 -> 0.028/0.19; s = 0.999*4e-5 + 1e-5 = 4.996e-5 -> /0.001999
    assertThat(z[0]).isCloseTo(1.1932179529846343, offset(1e-12));
    assertThat(z[1]).isCloseTo(1.853053186989829, offset(1e-12));
  }

  // ChiNorm

  @Test
  void chiNormValueAndGradientMatchTheClosedForm() {
    double[] z = {3, 4};
    assertThat(ChiNorm.value(z)).isCloseTo(12.5 - Math.log(5), offset(1e-12));
    double[] g = new double[2];
    ChiNorm.gradient(z, g);
    assertThat(g).containsExactly(new double[] {3 - 3 / 25.0, 4 - 4 / 25.0}, offset(1e-12));
    double[] atMode = {2, 0, 0, 0, 0}; // d = 5: ||z|| = sqrt(d - 1) = 2, the minimum
    double[] g5 = new double[5];
    ChiNorm.gradient(atMode, g5);
    assertThat(g5).containsOnly(0.0);
  }

  @Test
  void chiNormGradientMatchesFiniteDifferences() {
    double[] z = {0.3, -1.2, 0.7, 2.1, -0.4, 1.0, 0.05};
    double[] g = new double[z.length];
    ChiNorm.gradient(z, g);
    double h = 1e-6;
    for (int j = 0; j < z.length; j++) {
      double[] up = z.clone();
      double[] down = z.clone();
      up[j] += h;
      down[j] -= h;
      assertThat(g[j]).isCloseTo((ChiNorm.value(up) - ChiNorm.value(down)) / (2 * h), offset(1e-6));
    }
    assertThat(ChiNorm.squaredNorm(g)).isGreaterThan(0.1); // away from the minimum, so the check has teeth
  }
}
