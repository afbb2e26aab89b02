package dev.ponder.verifiers.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxOutcomeRewardTest {
  private static final double TOL = 1e-4;

  @Test
  void oneLabelRawAndSigmoidMatchTransformersInOneBatchedCall() {
    List<VerifierInput> inputs = Fixtures.inputs();
    for (boolean left : new boolean[] {false, true}) {
      OnnxOutcomeReward.Builder b = OnnxOutcomeReward.builder(Fixtures.dir("orm1")).transform(ScoreTransform.raw());
      try (OnnxOutcomeReward raw = (left ? b.padLeft() : b).build();
           OnnxOutcomeReward sig = OnnxOutcomeReward.load(Fixtures.dir("orm1"))) {
        SearchContext ctx = SearchContext.builder().build();
        double[] r = raw.score(inputs, ctx);
        double[] s = sig.score(inputs, ctx);
        for (int i = 0; i < inputs.size(); i++) {
          assertThat(r[i]).isCloseTo(Fixtures.row("orm1", i)[0], within(TOL));
          assertThat(s[i]).isCloseTo(Fixtures.sigmoid(Fixtures.row("orm1", i)[0]), within(TOL));
        }
        long tokens = Fixtures.texts().stream().mapToLong(String::length).sum(); // character-level tokenizer
        assertThat(ctx.counters().verifierCalls()).isEqualTo(2);
        assertThat(ctx.counters().verifierTokens()).isEqualTo(2 * tokens);
        assertThat(raw.model().ledger().stillOpen()).isZero();
        assertThat(sig.transform()).isEqualTo(ScoreTransform.sigmoid());
        assertThat(sig.maxLength()).isEqualTo(128);
      }
    }
  }

  @Test
  void twoLabelsSoftmaxOfALabelByDefault() {
    List<VerifierInput> inputs = Fixtures.inputs();
    try (OnnxOutcomeReward p1 = OnnxOutcomeReward.load(Fixtures.dir("orm2"));
         OnnxOutcomeReward l0 = OnnxOutcomeReward.builder(Fixtures.dir("orm2")).transform(ScoreTransform.logit(0))
             .build()) {
      assertThat(p1.labels()).isEqualTo(2);
      SearchContext ctx = SearchContext.builder().build();
      double[] p = p1.score(inputs, ctx);
      double[] z = l0.score(inputs, ctx);
      for (int i = 0; i < inputs.size(); i++) {
        double[] g = Fixtures.row("orm2", i);
        assertThat(p[i]).isCloseTo(Fixtures.sigmoid(g[1] - g[0]), within(TOL));
        assertThat(z[i]).isCloseTo(g[0], within(TOL));
      }
    }
  }

  @Test
  void transformMustFitTheLabels() {
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm2")).transform(ScoreTransform.sigmoid()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ScoreTransform.sigmoid() needs a model with one label, but")
        .hasMessageContaining("has 2; use ScoreTransform.softmax(label)");
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm1")).transform(ScoreTransform.softmax(0)).build())
        .hasMessageContaining("needs at least two labels");
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm2")).transform(ScoreTransform.softmax(2)).build())
        .hasMessageContaining("reads label 2, but").hasMessageContaining("has 2 label(s) (0..1)");
  }

  @Test
  void longInputsFailOrAreCutByAnExplicitPolicy() {
    String prompt = "numbers: 3 7 25 50 target: 85\n";
    String text = "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85";
    String full = prompt + text;
    SearchContext ctx = SearchContext.builder().build();
    try (OnnxOutcomeReward fail = OnnxOutcomeReward.builder(Fixtures.dir("orm1")).maxLength(40).build();
         OnnxOutcomeReward first = OnnxOutcomeReward.builder(Fixtures.dir("orm1")).maxLength(40)
             .overflow(Overflow.KEEP_FIRST).build();
         OnnxOutcomeReward last = OnnxOutcomeReward.builder(Fixtures.dir("orm1")).maxLength(40)
             .overflow(Overflow.KEEP_LAST).build()) {
      assertThatThrownBy(() -> fail.score(List.of(VerifierInput.of(prompt, text)), ctx))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("verifier 'orm': the input \"numbers: 3 7 25 50 target: 85\\n50 + 25")
          .hasMessageContaining("is " + full.length() + " tokens, more than the maximum length 40; shorten the input,"
              + " raise maxLength (up to the model's positions), or choose Overflow.KEEP_FIRST or Overflow.KEEP_LAST");
      // character-level tokenizer: cutting tokens is cutting characters
      assertThat(first.score(List.of(VerifierInput.of(prompt, text)), ctx))
          .containsExactly(fail.score(List.of(VerifierInput.of(full.substring(0, 40), "")), ctx));
      assertThat(last.score(List.of(VerifierInput.of(prompt, text)), ctx))
          .containsExactly(fail.score(List.of(VerifierInput.of("", full.substring(full.length() - 40))), ctx));
    }
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm1")).maxLength(129).build())
        .hasMessageContaining("maxLength 129 is more than the 128 positions outcome reward model");
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm1")).maxLength(0))
        .hasMessage("maxLength must be >= 1 tokens, was 0");
    assertThatThrownBy(() -> OnnxOutcomeReward.builder(Fixtures.dir("orm1")).overflow(Overflow.FAIL)
        .overflow(Overflow.KEEP_LAST)).hasMessage("overflow was already set to FAIL");
  }

  @Test
  void contractIsCheckedAtLoad() {
    assertThatThrownBy(() -> OnnxOutcomeReward.load(Fixtures.dir("prm")))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("outcome reward model")
        .hasMessageContaining("output 'logits' shape");
    // a token-classification export with a KV cache is the cached outcome-reward layout: score at the last token
    try (OnnxOutcomeReward cached = OnnxOutcomeReward.load(Fixtures.dir("prm-cached"))) {
      assertThat(cached.cachesPrompts()).isTrue();
    }
    assertThatThrownBy(() -> OnnxOutcomeReward.load(Fixtures.dir("nope")))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void emptyListMakesNoCallAndCloseIsIdempotent() {
    OnnxOutcomeReward orm = OnnxOutcomeReward.load(Fixtures.dir("orm1"));
    SearchContext ctx = SearchContext.builder().build();
    assertThat(orm.score(List.of(), ctx)).isEmpty();
    assertThat(ctx.counters().verifierCalls()).isZero();
    assertThatThrownBy(() -> orm.score(List.of(VerifierInput.of("", "")), ctx))
        .hasMessageContaining("encodes to no tokens");
    orm.close();
    orm.close();
    assertThatThrownBy(() -> orm.score(List.of(VerifierInput.of("a", "")), ctx))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
  }
}
