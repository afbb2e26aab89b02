package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.auto.AutoRule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Search.auto over the Countdown policy, and the registry's fitted rule. */
class CountdownAutoTest {
  private static final String PROMPT = "numbers: 6 14 18 20 target: 32\n";
  private static LanguageModel policy;

  @BeforeAll
  static void load() {
    policy = LanguageModel.load(Zoo.root().resolve("onnx-models/countdown/policy"));
  }

  @AfterAll
  static void close() {
    policy.close();
  }

  @Test
  void aContinuedProbeIsExactlyBestOfNsSamplesOnTheLanguageModel() {
    OutcomeScorer<LmHypothesis> checker = CountdownChecker.create().asOutcomeScorer();
    Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
    for (long seed = 1; seed <= 3; seed++) {
      SearchResult auto = Search.auto(policy, checker).rule(AutoRule.parse("probe 3\notherwise bon 8"))
          .decoding(decoding).seed(seed).run(PROMPT);
      SearchResult fixed = Search.bestOfN(policy, checker).n(8).decoding(decoding).seed(seed).run(PROMPT);
      assertThat(texts(auto)).as("seed %d", seed).containsExactlyElementsOf(texts(fixed));
      assertThat(auto.stats().generatedTokens()).isEqualTo(fixed.stats().generatedTokens());
      SearchTrace.Auto t = (SearchTrace.Auto) auto.trace();
      assertThat(t.chosen()).isEqualTo("bon-8");
      assertThat(t.meanEntropy()).as("the language model's hypotheses offer their entropy").isPositive();
    }
  }

  @Test
  void theRegistrysAutoUsesTheFittedRuleAndSaysWhatItChose() throws IOException {
    try (InputStream in = CountdownAlgorithms.class.getResourceAsStream("auto-rule.txt")) {
      assertThat(CountdownAlgorithms.autoRule())
          .isEqualTo(AutoRule.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
    }
    OutcomeScorer<LmHypothesis> checker = CountdownChecker.create().asOutcomeScorer();
    SearchResult r = CountdownAlgorithms.builder("auto", policy, Decoding.sampling()
            .withMaxNewTokens(policy.defaultMaxNewTokens()), CountdownAlgorithms.Knobs.defaults(), () -> checker,
        () -> null).seed(5).run(PROMPT);
    SearchTrace.Auto t = (SearchTrace.Auto) r.trace();
    assertThat(t.probeSamples()).isEqualTo(CountdownAlgorithms.autoRule().probe());
    int expected = t.chosen().equals("stop") ? t.probeSamples() : Integer.parseInt(t.chosen().replace("bon-", ""));
    assertThat(r.candidates()).hasSize(expected);
    assertThat(t.reason()).isNotBlank();
  }

  private static List<String> texts(SearchResult r) {
    return r.candidates().stream().map(Candidate::text).toList();
  }
}
