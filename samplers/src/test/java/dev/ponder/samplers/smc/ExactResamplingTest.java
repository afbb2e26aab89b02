package dev.ponder.samplers.smc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What {@link ResamplingTest} leaves out: the exact count bounds of stratified and residual resampling for random
 * uniforms, ancestors sorted and in range for n different from the population size, zero-weight particles never
 * chosen, and the closed-form weights, ESS and log-mean at log-weights near +-1e4.
 */
class ExactResamplingTest {
  private static final double[] LOG_W = {Math.log(0.1), Math.log(0.45), Math.log(0.05), Math.log(0.4)};

  @ParameterizedTest
  @EnumSource(Resampling.class)
  void ancestorsAreSortedAndInRangeForAnyN(Resampling scheme) {
    Weights w = Weights.fromLog(LOG_W);
    RandomStreams rng = new RandomStreams(21);
    for (int n : new int[] {1, 2, 3, 4, 7, 33}) {
      for (int t = 0; t < 200; t++) {
        final long trial = t;
        int[] a = scheme.ancestors(w, n, k -> rng.uniform(trial, n, RandomStreams.Purpose.RESAMPLE, k));
        assertThat(a).hasSize(n).isSorted();
        assertThat(a[0]).isGreaterThanOrEqualTo(0);
        assertThat(a[n - 1]).isLessThanOrEqualTo(3);
      }
    }
    assertThatThrownBy(() -> scheme.ancestors(w, 0, k -> 0.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n >= 1, was 0");
  }

  @Test
  void stratifiedCopiesAreWithinOneOfFloorAndCeilAndResidualKeepsTheFloor() {
    // Stratified: particle i owns an interval of length N W_i (in strata), which holds between floor(N W_i) - 1
    // and ceil(N W_i) + 1 of the N one-per-stratum points. Residual: floor(N W_i) copies are deterministic, the
    // remaining N - sum floor go out multinomially, so floor(N W_i) <= copies <= floor(N W_i) + (N - sum floor).
    Weights w = Weights.fromLog(LOG_W);
    RandomStreams rng = new RandomStreams(13);
    int n = 10;
    int floors = 0;
    for (int i = 0; i < 4; i++) {
      floors += (int) Math.floor(n * w.get(i));
    }
    int rest = n - floors; // 1 + 4 + 0 + 4 = 9, so 1 left for the multinomial stage
    assertThat(rest).isEqualTo(1);
    for (int t = 0; t < 2000; t++) {
      final long trial = t;
      int[] strat = counts(Resampling.STRATIFIED.ancestors(w, n, k -> rng.uniform(trial, 2, RandomStreams.Purpose.RESAMPLE, k)));
      int[] resid = counts(Resampling.RESIDUAL.ancestors(w, n, k -> rng.uniform(trial, 3, RandomStreams.Purpose.RESAMPLE, k)));
      for (int i = 0; i < 4; i++) {
        double nw = n * w.get(i);
        assertThat(strat[i]).as("stratified copies of %d", i).isBetween((int) Math.floor(nw) - 1, (int) Math.ceil(nw) + 1);
        assertThat(resid[i]).as("residual copies of %d", i).isBetween((int) Math.floor(nw), (int) Math.floor(nw) + rest);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Resampling.class)
  void zeroWeightParticlesAreNeverChosen(Resampling scheme) {
    // Zero weights (log-weight -infinity) at the front and in the middle; the uniforms sweep [0, 1) including both
    // ends of the range a scheme can be handed.
    double ninf = Double.NEGATIVE_INFINITY;
    Weights w = Weights.fromLog(new double[] {ninf, 0.3, ninf, ninf, -0.2, ninf, 1.1});
    double[] us = {0.0, 1e-300, 0.25, 0.5, 0.999, Math.nextDown(0.9)};
    for (double u : us) {
      for (int n : new int[] {1, 3, 7, 20}) {
        for (int a : scheme.ancestors(w, n, k -> u)) {
          assertThat(w.get(a)).as("%s u=%s n=%d chose %d", scheme, u, n, a).isPositive();
        }
      }
    }
  }

  @Test
  void weightsNearPlusAndMinus1e4MatchTheClosedForm() {
    // lw = {c, c - 1, c - 2}: W = (1, e^-1, e^-2) / S with S = 1 + e^-1 + e^-2; ESS = S^2 / (1 + e^-2 + e^-4);
    // log mean = c + log(S / 3). Exact up to rounding whether c is 1e4 (exp overflows) or -1e4 (exp underflows).
    double s = 1 + Math.exp(-1) + Math.exp(-2);
    double ess = s * s / (1 + Math.exp(-2) + Math.exp(-4));
    for (double c : new double[] {1e4, -1e4, 0}) {
      Weights w = Weights.fromLog(new double[] {c, c - 1, c - 2});
      assertThat(w.size()).isEqualTo(3);
      assertThat(w.get(0)).as("c=%s", c).isCloseTo(1 / s, offset(1e-15));
      assertThat(w.get(1)).isCloseTo(Math.exp(-1) / s, offset(1e-15));
      assertThat(w.get(2)).isCloseTo(Math.exp(-2) / s, offset(1e-15));
      assertThat(w.get(0) + w.get(1) + w.get(2)).isCloseTo(1.0, offset(1e-15));
      assertThat(w.ess()).as("ess at c=%s", c).isCloseTo(ess, offset(1e-13));
      // ulp(1e4) = 1.8e-12: the log mean is exact to a few ulps of c.
      assertThat(w.logMean()).isCloseTo(c + Math.log(s / 3), offset(1e-11));
    }
    // One particle carries all the weight: ESS exactly 1; equal weights: ESS exactly N (N a power of two).
    assertThat(Weights.fromLog(new double[] {-1e4, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}).ess()).isEqualTo(1.0);
    assertThat(Weights.fromLog(new double[] {1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4}).ess()).isEqualTo(8.0);
    // A spread of 1e4 is all in one particle: exp(-1e4) underflows to 0.
    assertThat(Weights.fromLog(new double[] {1e4, -1e4}).toArray()).containsExactly(1.0, 0.0);
  }

  @Test
  void essStaysInOneToNForRandomLogWeights() {
    RandomStreams rng = new RandomStreams(3);
    for (int t = 0; t < 500; t++) {
      int n = 1 + (int) (rng.uniform(t, 0, RandomStreams.Purpose.CHOICE, 0) * 40);
      double[] lw = new double[n];
      for (int i = 0; i < n; i++) {
        lw[i] = 50 * (rng.uniform(t, 1, RandomStreams.Purpose.CHOICE, i) - 0.5);
      }
      Weights w = Weights.fromLog(lw);
      assertThat(w.ess()).isBetween(1.0 - 1e-12, n + 1e-12);
    }
  }

  @Test
  void rejectsPlusInfinityAndEmptyNamingTheProblem() {
    assertThatThrownBy(() -> Weights.fromLog(new double[] {0, 1, Double.POSITIVE_INFINITY}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log-weight 2 is Infinity")
        .hasMessageContaining("finite or -infinity");
    assertThatThrownBy(() -> Weights.fromLog(new double[] {Double.NaN, 0})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("log-weight 0 is NaN");
    assertThatThrownBy(() -> Weights.fromLog(new double[0])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> Weights.fromLog(new double[] {Double.NEGATIVE_INFINITY}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all 1 log-weights are -infinity");
  }

  private static int[] counts(int[] ancestors) {
    int[] c = new int[4];
    for (int a : ancestors) {
      c[a]++;
    }
    return c;
  }

  @ParameterizedTest
  @EnumSource(Resampling.class)
  void pointsRoundingToOneNeverReachATrailingZeroWeightParticle(Resampling scheme) {
    // Found by this suite: (n - 1 + u) / n rounds to 1.0 for u = nextDown(1), and normalized weights can sum to
    // a hair under 1; the inversion used to hand such points to the last particle, weight or not.
    Weights w = Weights.fromLog(new double[] {Math.log(0.4256), Math.log(0.5744), Double.NEGATIVE_INFINITY});
    assertThat(scheme.ancestors(w, 4, k -> Math.nextDown(1.0))).doesNotContain(2);
    Weights sumsUnderOne = Weights.fromLog(new double[] {1.56, -0.61, -1.09, Double.NEGATIVE_INFINITY});
    assertThat(scheme.ancestors(sumsUnderOne, 1, k -> Math.nextDown(1.0))).doesNotContain(3);
  }

  @Test
  void equalWeightsHaveAnEssOfExactlyN() {
    // 1 / sum W^2 gave 5.999999999999999 for N = 6: below kappa N at kappa = 1, a needless resampling.
    for (int n : new int[] {3, 6, 7, 10, 12, 100}) {
      double[] lw = new double[n];
      java.util.Arrays.fill(lw, -3.7);
      assertThat(Weights.fromLog(lw).ess()).as("N = %d", n).isEqualTo((double) n);
    }
  }
}
