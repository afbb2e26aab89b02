package dev.ponder.samplers.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext.RandomStreams;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NoiseNeighboursTest {
  static final RandomStreams RANDOM = new RandomStreams(5);

  static float[] pivot(int d) {
    float[] p = new float[d];
    for (int j = 0; j < d; j++) {
      p[j] = (float) NoiseNeighbours.standardNormal(RANDOM, 99, -1, j);
    }
    return p;
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += (double) a[j] * b[j];
    }
    return s;
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.5, 0.95, -0.3})
  void everyNeighbourHasTheRequestedCosineAndThePivotsNorm(double cosine) {
    float[] p = pivot(64);
    double pn = Math.sqrt(dot(p, p));
    float[][] ns = NoiseNeighbours.around(p, cosine, 16, RANDOM, 3, 7);
    assertThat(ns).hasNumberOfRows(16);
    Set<String> distinct = new HashSet<>();
    for (float[] n : ns) {
      double nn = Math.sqrt(dot(n, n));
      assertThat(Math.abs(dot(n, p) / (nn * pn) - cosine)).isLessThan(1e-6);
      assertThat(Math.abs(nn - pn) / pn).isLessThan(1e-5);
      distinct.add(Arrays.toString(n));
    }
    assertThat(distinct).hasSize(16);
  }

  @Test
  void neighboursAreAPureFunctionOfTheKeyAndDependOnIt() {
    float[] p = pivot(32);
    float[][] a = NoiseNeighbours.around(p, 0.9, 4, RANDOM, 1, 2);
    float[][] b = NoiseNeighbours.around(p, 0.9, 6, RANDOM, 1, 2);
    for (int k = 0; k < 4; k++) {
      assertThat(b[k]).containsExactly(a[k]);
    }
    assertThat(NoiseNeighbours.around(p, 0.9, 1, RANDOM, 2, 2)[0]).isNotEqualTo(a[0]);
    assertThat(NoiseNeighbours.around(p, 0.9, 1, RANDOM, 1, 3)[0]).isNotEqualTo(a[0]);
  }

  @Test
  void theStandardNormalDrawsHaveMeanZeroAndVarianceOne() {
    int n = 20_000;
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double x = NoiseNeighbours.standardNormal(RANDOM, 0, 0, i);
      sum += x;
      sq += x * x;
    }
    assertThat(Math.abs(sum / n)).isLessThan(4 / Math.sqrt(n));
    assertThat(Math.abs(sq / n - 1)).isLessThan(6 * Math.sqrt(2.0 / n));
  }

  @Test
  void invalidCosinesAndPivotsAreRejected() {
    float[] p = pivot(8);
    for (double c : new double[] {1.0001, -1.5, Double.NaN}) {
      assertThatThrownBy(() -> NoiseNeighbours.around(p, c, 2, RANDOM, 0, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cosine must be in [-1, 1], was " + c + "; ");
    }
    assertThatThrownBy(() -> NoiseNeighbours.around(new float[8], 0.5, 2, RANDOM, 0, 0))
        .hasMessageStartingWith("pivot must be a finite non-zero vector, its norm was 0.0");
    assertThatThrownBy(() -> NoiseNeighbours.around(new float[] {1}, 0.5, 2, RANDOM, 0, 0))
        .hasMessageContaining("dimension 1 has no orthogonal direction");
    assertThatThrownBy(() -> NoiseNeighbours.around(p, 0.5, 0, RANDOM, 0, 0))
        .hasMessageStartingWith("m (neighbours) must be >= 1, was 0");
    float[][] same = NoiseNeighbours.around(p, 1, 1, RANDOM, 0, 0);
    for (int j = 0; j < 8; j++) {
      assertThat(same[0][j]).isCloseTo(p[j], org.assertj.core.data.Offset.offset(1e-6f));
    }
  }
}
