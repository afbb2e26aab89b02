package dev.ponder.samplers.smc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ResamplingTest {
  private static final double[] LOG_W = {Math.log(0.1), Math.log(0.45), Math.log(0.05), Math.log(0.4)};

  @ParameterizedTest
  @EnumSource(Resampling.class)
  void expectedOffspringIsNTimesTheWeight(Resampling scheme) {
    Weights w = Weights.fromLog(LOG_W);
    int n = 10;
    int trials = 20_000;
    double[] copies = new double[4];
    RandomStreams rng = new RandomStreams(5);
    for (int t = 0; t < trials; t++) {
      final int trial = t;
      for (int a : scheme.ancestors(w, n, k -> rng.uniform(trial, 0, RandomStreams.Purpose.RESAMPLE, k))) {
        copies[a]++;
      }
    }
    for (int i = 0; i < 4; i++) {
      // Expected N * W_i; the multinomial standard error of the mean is at most sqrt(N/4/trials) = 0.011.
      assertThat(copies[i] / trials).as("mean copies of particle %d", i).isCloseTo(n * w.get(i), offset(0.05));
    }
  }

  @Test
  void systematicAndResidualGiveFloorOrCeilCopies() {
    Weights w = Weights.fromLog(LOG_W);
    RandomStreams rng = new RandomStreams(9);
    for (Resampling scheme : new Resampling[] {Resampling.SYSTEMATIC}) {
      for (int t = 0; t < 500; t++) {
        final int trial = t;
        int[] count = new int[4];
        for (int a : scheme.ancestors(w, 10, k -> rng.uniform(trial, 1, RandomStreams.Purpose.RESAMPLE, k))) {
          count[a]++;
        }
        for (int i = 0; i < 4; i++) {
          assertThat(count[i]).isBetween((int) Math.floor(10 * w.get(i)), (int) Math.ceil(10 * w.get(i)));
        }
      }
    }
    // Residual: floor(N W_i) copies are guaranteed: 1, 4, 0, 4.
    int[] count = new int[4];
    for (int a : Resampling.RESIDUAL.ancestors(w, 10, k -> 0.999)) {
      count[a]++;
    }
    assertThat(count[0]).isGreaterThanOrEqualTo(1);
    assertThat(count[1]).isGreaterThanOrEqualTo(4);
    assertThat(count[3]).isGreaterThanOrEqualTo(4);
  }

  @Test
  void weightsHandleExtremesAndRejectNonsense() {
    Weights w = Weights.fromLog(new double[] {1e4, 1e4 + Math.log(3), Double.NEGATIVE_INFINITY});
    assertThat(w.get(0)).isCloseTo(0.25, offset(1e-12));
    assertThat(w.get(1)).isCloseTo(0.75, offset(1e-12));
    assertThat(w.get(2)).isZero();
    assertThat(w.ess()).isCloseTo(1 / (0.25 * 0.25 + 0.75 * 0.75), offset(1e-9));
    assertThat(w.logMean()).isCloseTo(1e4 + Math.log(4.0 / 3), offset(1e-9));
    assertThatThrownBy(() -> Weights.fromLog(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}))
        .hasMessageContaining("all 2 log-weights are -infinity");
    assertThatThrownBy(() -> Weights.fromLog(new double[] {0, Double.NaN})).hasMessageContaining("log-weight 1 is NaN");
    assertThat(Weights.fromLog(new double[] {2, 2, 2, 2}).ess()).isCloseTo(4, offset(1e-12));
  }
}
