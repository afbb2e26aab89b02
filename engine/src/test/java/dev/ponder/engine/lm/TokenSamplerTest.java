package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.lm.Decoding.StepBoundary;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** Inverse-CDF sampling over tokens in descending probability, with exact expectations for each filter. */
class TokenSamplerTest {
  // Probabilities 0.5, 0.3, 0.2 at token ids 2, 0, 1 (so the sort order differs from id order).
  private static final FloatBuffer LOGITS = logits((float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.5));
  private final TokenSampler sampler = new TokenSampler(3);

  @Test
  void greedyTakesTheArgmaxAndReportsItsLogProbability() {
    assertThat(sampler.choose(LOGITS, 0, Decoding.greedy(), 0.99)).isEqualTo(2);
    assertThat(sampler.lastLogProb()).isCloseTo(Math.log(0.5), offset(1e-6));
  }

  @Test
  void unfilteredDrawWalksTheCdfInTokenOrder() {
    Decoding d = Decoding.sampling();
    assertThat(sampler.choose(LOGITS, 0, d, 0.29)).isEqualTo(0);
    assertThat(sampler.choose(LOGITS, 0, d, 0.31)).isEqualTo(1);
    assertThat(sampler.choose(LOGITS, 0, d, 0.51)).isEqualTo(2);
    assertThat(sampler.lastLogProb()).isCloseTo(Math.log(0.5), offset(1e-6));
  }

  @Test
  void filteredDrawWalksTheDescendingCdf() {
    Decoding d = Decoding.sampling().withTopK(3); // keeps every token, but filters sort
    assertThat(sampler.choose(LOGITS, 0, d, 0.49)).isEqualTo(2);
    assertThat(sampler.choose(LOGITS, 0, d, 0.51)).isEqualTo(0);
    assertThat(sampler.choose(LOGITS, 0, d, 0.81)).isEqualTo(1);
    assertThat(sampler.lastLogProb()).isCloseTo(Math.log(0.2), offset(1e-6));
  }

  @Test
  void topKTopPAndMinPKeepTheRightTokens() {
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTopK(1), 0.99)).isEqualTo(2);
    // top-p 0.7 keeps {2, 0} (mass 0.8): u = 0.7 -> 0.56 of 0.8 -> token 0; u = 0.99 never reaches token 1.
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTopP(0.7), 0.7)).isEqualTo(0);
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTopP(0.7), 0.99)).isEqualTo(0);
    // min-p 0.5: floor 0.25 keeps {2, 0}.
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withMinP(0.5), 0.99)).isEqualTo(0);
    // The reported log-probability is the model's, unfiltered.
    assertThat(sampler.lastLogProb()).isCloseTo(Math.log(0.3), offset(1e-6));
  }

  @Test
  void temperatureSharpensTheDistribution() {
    // At T = 0.5 probabilities are proportional to p^2: ids 0, 1, 2 get 0.237, 0.105, 0.658 (CDF 0.237, 0.342).
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTemperature(0.5), 0.23)).isEqualTo(0);
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTemperature(0.5), 0.24)).isEqualTo(1);
    assertThat(sampler.choose(LOGITS, 0, Decoding.sampling().withTemperature(0.5), 0.35)).isEqualTo(2);
  }

  @Test
  void nanLogitsAreAnError() {
    assertThatThrownBy(() -> sampler.choose(logits(0f, Float.NaN, 1f), 0, Decoding.sampling(), 0.5))
        .hasMessageContaining("NaN logits (token 1)");
  }

  @Test
  void decodingValidatesEveryKnob() {
    assertThatThrownBy(() -> Decoding.sampling().withTemperature(-1)).hasMessageContaining("temperature must be >= 0");
    assertThatThrownBy(() -> Decoding.sampling().withTopP(0)).hasMessageContaining("topP must be in (0, 1]");
    assertThatThrownBy(() -> Decoding.sampling().withMinP(1)).hasMessageContaining("minP must be in [0, 1)");
    assertThatThrownBy(() -> Decoding.sampling().withTopK(-2)).hasMessageContaining("topK must be >= 0");
    assertThatThrownBy(() -> Decoding.sampling().withMaxNewTokens(0)).hasMessageContaining("maxNewTokens must be >= 1");
    assertThatThrownBy(() -> StepBoundary.stopAt(0, "\n")).hasMessageContaining("maxTokens per step must be >= 1");
  }

  private static FloatBuffer logits(float... values) {
    FloatBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    b.put(values).flip();
    return b;
  }

  @org.junit.jupiter.api.Test
  void theEntropyOfTheLastDistributionIsKept() {
    TokenSampler sampler = new TokenSampler(4);
    java.nio.FloatBuffer uniform = java.nio.FloatBuffer.wrap(new float[] {3f, 3f, 3f, 3f});
    sampler.choose(uniform, 0, Decoding.greedy(), 0);
    org.assertj.core.api.Assertions.assertThat(sampler.lastEntropy())
        .isCloseTo(Math.log(4), org.assertj.core.api.Assertions.within(1e-12));
    java.nio.FloatBuffer peaked = java.nio.FloatBuffer.wrap(new float[] {0f, (float) Math.log(3), 0f, 0f});
    sampler.choose(peaked, 0, Decoding.greedy(), 0);
    // p = (1, 3, 1, 1) / 6: H = -(3 * (1/6) ln(1/6) + (1/2) ln(1/2))
    double expected = -(3 * (1.0 / 6) * Math.log(1.0 / 6) + 0.5 * Math.log(0.5));
    org.assertj.core.api.Assertions.assertThat(sampler.lastEntropy())
        .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-6));
  }
}
