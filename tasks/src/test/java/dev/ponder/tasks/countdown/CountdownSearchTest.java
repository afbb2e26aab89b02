package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rule checker as a scorer over real hypotheses of the Countdown policy, and the registry's searches. */
class CountdownSearchTest {
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
  void countdownCheckerScoresFinishedHypothesesFromPromptAndText() {
    SearchContext ctx = SearchContext.builder().seed(11).build();
    try (LmProcess p = policy.process(PROMPT, Decoding.sampling())) {
      List<LmHypothesis> live = p.start(16, ctx);
      while (live.stream().anyMatch(h -> !h.isTerminal())) {
        live = p.advance(live, ctx);
      }
      OutcomeScorer<LmHypothesis> scorer = CountdownChecker.create().asOutcomeScorer();
      double[] s = scorer.score(live, ctx);
      CountdownProblem problem = CountdownProblem.parse(PROMPT);
      for (int i = 0; i < live.size(); i++) {
        LmHypothesis h = live.get(i);
        assertThat(h.promptText()).isEqualTo(PROMPT);
        boolean ok = CountdownChecker.create().check(problem, h.text()).correct();
        assertThat(s[i]).as(h.text()).isEqualTo(ok ? 1.0 : 0.0);
      }
      assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
      live.forEach(p::release);
    }
  }

  @Test
  void everyNameBuildsARunnableSearchAndBestOfNWithTheCheckerFindsAVerifiedAnswer() {
    Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
    OutcomeScorer<LmHypothesis> checker = CountdownChecker.create().asOutcomeScorer();
    CountdownAlgorithms.Knobs knobs = CountdownAlgorithms.Knobs.defaults().withN(4);
    for (String name : CountdownAlgorithms.NAMES) {
      SearchResult r = CountdownAlgorithms.builder(name, policy, decoding, knobs, () -> checker,
          () -> (hs, ctx) -> new double[hs.size()]).seed(3).run(PROMPT);
      assertThat(r.candidates()).as(name).isNotEmpty();
    }
    SearchResult bon = CountdownAlgorithms.builder("bon", policy, decoding, knobs.withN(16), () -> checker, () -> null)
        .seed(1).run(PROMPT);
    assertThat(CountdownChecker.create().check(CountdownProblem.parse(PROMPT), bon.best().text()).correct())
        .isEqualTo(bon.best().score() == 1.0);
    assertThatThrownBy(() -> CountdownAlgorithms.builder("bestofn", policy, decoding, knobs, () -> checker, () -> null))
        .hasMessage("algorithm must be one of " + CountdownAlgorithms.NAMES + ", was 'bestofn'");
  }

  @Test
  void sampleDrawsNAndTokenBeamStopsAtTheDecodingsLength() {
    // The server and the CLI build every search here, so the request's n and max_new_tokens must reach it.
    Decoding decoding = Decoding.sampling().withMaxNewTokens(5);
    CountdownAlgorithms.Knobs knobs = CountdownAlgorithms.Knobs.defaults().withN(3);
    SearchResult sample = CountdownAlgorithms.builder("sample", policy, decoding, knobs, () -> null, () -> null)
        .seed(2).run(PROMPT);
    assertThat(sample.candidates()).hasSize(3).allSatisfy(c -> assertThat(c.tokens()).isLessThanOrEqualTo(5));
    SearchResult beam = CountdownAlgorithms.builder("beam", policy, decoding, knobs, () -> null, () -> null)
        .run(PROMPT);
    assertThat(beam.candidates()).isNotEmpty().allSatisfy(c -> assertThat(c.tokens()).isEqualTo(5));
    assertThat(beam.stats().generatedTokens()).isGreaterThan(0);
  }
}
