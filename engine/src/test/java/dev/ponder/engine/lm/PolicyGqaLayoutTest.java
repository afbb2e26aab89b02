package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.testing.Zoo;
import org.junit.jupiter.api.Test;

/**
 * The GPT-2 Countdown policy's GroupQueryAttention re-export (onnx-models/countdown/policy-gqa, issue 19) loads
 * as the in-place layout from its genai_config.json, with the committed export's shapes; the committed export
 * stays the concat layout. Its outputs against the committed export: samplers' PolicyGqaGoldenTest.
 */
class PolicyGqaLayoutTest {
  @Test
  void loadsAsTheInPlaceLayoutBesideTheConcatExport() {
    try (LanguageModel gqa = LanguageModel.load(Zoo.model("countdown/policy-gqa"));
         LanguageModel concat = LanguageModel.load(Zoo.model("countdown/policy"))) {
      assertThat(gqa.maskSumAttention()).isTrue();
      assertThat(concat.maskSumAttention()).isFalse();
      assertThat(gqa.config().layers()).isEqualTo(concat.config().layers()).isEqualTo(4);
      assertThat(gqa.config().vocab()).isEqualTo(concat.config().vocab()).isEqualTo(30);
      assertThat(gqa.config().maxPositions()).isEqualTo(concat.config().maxPositions()).isEqualTo(128);
    }
  }

  /** Continuous batching cannot stack in-place KV buffers yet: asking for it is an error, not a silent no-op. */
  @Test
  void refusesContinuousBatchingByName() {
    try (LanguageModel gqa = LanguageModel.load(Zoo.model("countdown/policy-gqa"));
         LanguageModel concat = LanguageModel.load(Zoo.model("countdown/policy"))) {
      assertThat(gqa.canBatchAcrossSearches()).isFalse();
      assertThat(concat.canBatchAcrossSearches()).isTrue();
      assertThatThrownBy(() -> gqa.batchAcrossSearches(true)).isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("policy-gqa").hasMessageContaining("GroupQueryAttention");
      assertThat(gqa.batchAcrossSearches(false).batchesAcrossSearches()).isFalse();
      assertThat(concat.batchAcrossSearches(true).batchesAcrossSearches()).isTrue();
    }
  }
}
