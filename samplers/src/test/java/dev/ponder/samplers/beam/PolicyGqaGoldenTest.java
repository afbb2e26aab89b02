package dev.ponder.samplers.beam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GPT-2 Countdown policy re-exported in the in-place GroupQueryAttention layout (issue 19;
 * onnx-models/countdown/policy-gqa, by countdown/export_gqa_policy.py from the committed policy's weights): token
 * beam equals transformers' {@code generate} on every case of
 * beam_golden.json as the committed export does ({@link TokenBeamGoldenTest}), and seeded sampling over a batch
 * of prompts of different lengths draws the same tokens as the committed export, with log-probabilities within
 * 1e-4. That it loads as the in-place layout: engine's PolicyGqaLayoutTest.
 */
class PolicyGqaGoldenTest {
  private static LanguageModel gqa;
  private static LanguageModel concat;

  @BeforeAll
  static void load() {
    gqa = LanguageModel.load(Zoo.model("countdown/policy-gqa"));
    concat = LanguageModel.load(Zoo.model("countdown/policy"));
  }

  @AfterAll
  static void close() {
    gqa.close();
    concat.close();
  }

  @Test
  void hasTheSameTokensAndLimits() {
    assertThat(gqa.eosTokenIds()).isEqualTo(concat.eosTokenIds());
    assertThat(gqa.defaultMaxNewTokens()).isEqualTo(concat.defaultMaxNewTokens());
    assertThat(gqa.encode("numbers: 3 7 25 50 target: 85\n")).containsExactly(
        concat.encode("numbers: 3 7 25 50 target: 85\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.ponder.samplers.beam.TokenBeamGoldenTest#cases")
  void tokenBeamEqualsTransformersGenerate(TokenBeamGoldenTest.Case c) {
    TokenBeam.Run run;
    try (LmProcess process = gqa.process(c.promptIds(), Decoding.greedy().withMaxNewTokens(c.maxNewTokens()))) {
      run = TokenBeam.run(process, c.config(), SearchContext.builder().build());
    }
    List<String> differences = TokenBeamGoldenTest.differences(c, run);
    TokenBeam.Margin closest = run.closest();
    if (!differences.isEmpty() && closest.value() < 1e-5) {
      Assumptions.abort(c.name() + ": near-tie, skipped: margin " + closest.value() + "; " + differences);
    }
    assertThat(differences).as(c.name()).isEmpty();
  }

  @Test
  void seededSamplingDrawsWhatTheConcatExportDraws() {
    List<String> prompts = List.of("numbers: 3 7 25 50 target: 85\n", "numbers: 2 4 target: 8\n",
        "numbers: 10 25 50 75 100 target: 635\n");
    for (long seed = 1; seed <= 3; seed++) {
      List<LmHypothesis> a = sample(gqa, prompts, seed);
      List<LmHypothesis> b = sample(concat, prompts, seed);
      assertThat(a).hasSameSizeAs(b).hasSize(prompts.size() * 4);
      for (int i = 0; i < a.size(); i++) {
        assertThat(a.get(i).generatedTokens()).as("seed %d row %d", seed, i)
            .containsExactly(b.get(i).generatedTokens());
        assertThat(a.get(i).logProb()).as("seed %d row %d", seed, i).isCloseTo(b.get(i).logProb(), within(1e-4));
      }
    }
  }

  /** Four samples of each prompt, all rows in one batch. */
  private static List<LmHypothesis> sample(LanguageModel lm, List<String> prompts, long seed) {
    List<int[]> ids = new ArrayList<>();
    for (String p : prompts) {
      for (int k = 0; k < 4; k++) {
        ids.add(lm.encode(p));
      }
    }
    SearchContext ctx = SearchContext.builder().seed(seed).build();
    try (LmProcess process = lm.process(ids.get(0), Decoding.sampling().withMaxNewTokens(lm.defaultMaxNewTokens()))) {
      List<LmHypothesis> rows = process.startEach(ids, ctx);
      List<LmHypothesis> all = List.copyOf(rows);
      while (!rows.isEmpty()) {
        rows = process.advance(rows, ctx).stream().filter(h -> !h.isTerminal()).toList();
      }
      return all;
    }
  }
}
