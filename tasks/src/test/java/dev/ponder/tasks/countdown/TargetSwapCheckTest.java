package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TargetSwapCheckTest {
  private static final String PROMPT = "numbers: 6 14 18 20 target: 32\n"; // test-0001
  private static final String RIGHT = "18 + 14 = 32\nanswer: 32";
  private static final String WRONG = "20 + 18 = 32\nanswer: 32"; // 38, written as the target
  private static LanguageModel policy;

  @BeforeAll
  static void load() {
    policy = LanguageModel.load(Zoo.root().resolve("onnx-models/countdown/policy"));
  }

  @AfterAll
  static void close() {
    policy.close();
  }

  /** Hypotheses whose generated text is exactly each given text (teacher-forced, one token at a time). */
  private static double[] scoreTexts(TargetSwapCheck check, String prompt, List<String> texts, SearchContext ctx) {
    SearchContext own = SearchContext.builder().build();
    try (LmProcess process = policy.process(prompt, Decoding.greedy().withMaxNewTokens(100))) {
      List<LmHypothesis> hs = process.start(texts.size(), own);
      List<int[]> ids = texts.stream().map(policy::encode).toList();
      for (int pos = 0; ; pos++) {
        List<LmHypothesis> feed = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (int i = 0; i < hs.size(); i++) {
          if (pos < ids.get(i).length) {
            feed.add(hs.get(i));
            tokens.add(ids.get(i)[pos]);
          }
        }
        if (feed.isEmpty()) {
          break;
        }
        process.extend(feed, tokens.stream().mapToInt(Integer::intValue).toArray(), own);
      }
      assertThat(hs).extracting(LmHypothesis::text).containsExactlyElementsOf(texts);
      return check.score(hs, ctx);
    }
  }

  @Test
  void aResultWrittenOnlyBecauseItWasTheTargetLosesItsProbabilityUnderAnotherTarget() {
    SearchContext ctx = SearchContext.builder().build();
    double[] s = scoreTexts(new TargetSwapCheck(policy), PROMPT, List.of(RIGHT, WRONG, "answer: 32"), ctx);
    // the log-probability of "32" after "numbers: 6 14 18 20 target: 42\n18 + 14 = " and after "... 20 + 18 = ",
    // as onnxruntime in Python gives it for the same model (one full forward pass over prompt + text)
    assertThat(s[0]).isCloseTo(-0.35258, within(2e-3));
    assertThat(s[1]).isCloseTo(-5.80213, within(2e-3));
    assertThat(s[2]).as("no equation").isEqualTo(TargetSwapCheck.NO_EQUATION);
    // its work is the verifier's: two prefills in one call, two result tokens fed one position at a time
    assertThat(ctx.counters().policyTokens()).isZero();
    assertThat(ctx.stats().verifierCalls()).isEqualTo(3);
  }

  @Test
  void theScoreIsTheResultsLogProbabilityUnderTheSwappedPromptTokenByToken() {
    String text = "20 - 6 = 14\n18 + 14 = 32\nanswer: 32";
    double got = scoreTexts(new TargetSwapCheck(policy, 7), PROMPT, List.of(text), SearchContext.builder().build())[0];
    // the same quantity by teacher forcing the whole text after the swapped prompt: logProb after "32" minus before
    String swapped = "numbers: 6 14 18 20 target: 39\n";
    String before = "20 - 6 = 14\n18 + 14 = ";
    SearchContext own = SearchContext.builder().build();
    try (LmProcess process = policy.process(swapped, Decoding.greedy().withMaxNewTokens(100))) {
      LmHypothesis h = process.start(1, own).get(0);
      double at = 0;
      for (int t : policy.encode(before + "32")) {
        if (h.generatedLength() == policy.encode(before).length) {
          at = h.logProb();
        }
        process.extend(List.of(h), new int[] {t}, own);
      }
      assertThat(got).isCloseTo(h.logProb() - at, within(1e-4)).isNegative();
    }
  }

  @Test
  void theOffsetMustBePositive() {
    assertThatThrownBy(() -> new TargetSwapCheck(policy, 0))
        .hasMessage("the target swap's offset must be >= 1, was 0");
  }
}
