package dev.ponder.samplers.bestofn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.samplers.Search;
import org.junit.jupiter.api.Test;

class AdaptiveBestOfNTest {

  @Test
  void theLeadersPosteriorProbabilityIsTheBinomialSum() {
    assertThat(AdaptiveBestOfN.leadProbability(0, 0)).isCloseTo(0.5, within(1e-15));
    assertThat(AdaptiveBestOfN.leadProbability(3, 0)).isCloseTo(15.0 / 16, within(1e-15));
    assertThat(AdaptiveBestOfN.leadProbability(2, 1)).isCloseTo(11.0 / 16, within(1e-15));
    assertThat(AdaptiveBestOfN.leadProbability(8, 2)).isCloseTo(1 - 67.0 / 2048, within(1e-15));
    assertThat(AdaptiveBestOfN.leadProbability(5, 5)).isCloseTo(0.5, within(1e-15)); // a tie: no lead
    assertThat(AdaptiveBestOfN.leadProbability(400, 0)).isCloseTo(1.0, within(1e-12)); // 401 terms summed
  }

  @Test
  void stopRulesAreCheckedWhenSet() {
    BestOfNSearch<Object> b = Search.bestOfN((hs, ctx) -> new double[hs.size()]);
    assertThatThrownBy(() -> b.stopWhenSettled(0.5)).hasMessageContaining("confidence must be in (0.5, 1), was 0.5");
    assertThatThrownBy(() -> b.stopAtScore(Double.NaN)).hasMessageContaining("NaN");
    b.stopAtScore(1);
    assertThatThrownBy(() -> b.stopWhenSettled(0.9)).hasMessageStartingWith("a stop rule was already set");
  }
}
