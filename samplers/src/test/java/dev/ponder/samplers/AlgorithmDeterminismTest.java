package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.tuple;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.mcts.MctsSearch.MctsLeafValue;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * "The same seed gives the same result whatever the batch size": every language-model algorithm, run with the
 * policy's model calls capped at 1, 2, 3 and 5 rows ({@link LmProcess#maxBatchRows}) and uncapped, returns the
 * same candidates (texts, scores, token counts and finish flags exactly, in order; log-probabilities to 1e-5),
 * the same events and the same batch-independent counters.
 *
 * <p>Batch-independent: prompt, generated and policy tokens (every token is fed once, in whichever call), verifier
 * calls and tokens (scorers are called once per algorithm round, never per model call), the events (the algorithm
 * sees the same hypotheses in the same order). Batch-dependent, and so not compared: model calls (one per slice),
 * padding tokens (each slice pads to its own longest row), gathered rows and reused calls (slicing changes which
 * rows share a KV block) and wall time. A budget on policy tokens therefore stops every batch size at the same
 * point; a budget on model calls does not.
 *
 * <p>MCTS's wave size is the other batch knob: {@code MctsTest.aSeedFixesTheResultAndAFullTreeIsTheSameForEveryWaveSize}
 * shows that a fully covered tree is the same for every wave size; here a fixed wave is run at every row cap.
 */
class AlgorithmDeterminismTest {
  private static LanguageModel lm;
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().chars().filter(Character::isDigit).count()
        / (1.0 + h.text().length())).toArray();
  };
  private static final OutcomeScorer<LmHypothesis> HAS_SEVEN = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().contains("7") ? 1 : h.text().length() / 100.0).toArray();
  };
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24).withBoundary(StepBoundary.stopAt(6, " "));
  private static final Decoding TOKENS = Decoding.sampling().withMaxNewTokens(20);
  private static final String PROMPT = "12 + ";
  private static final int[] CAPS = {1, 2, 3, 5, Integer.MAX_VALUE};
  /**
   * The logits are float32 from ONNX Runtime, whose reductions depend on the call's padded shape [B, P+S]: a row
   * alone and the same row in a batch agree to ~1e-7 relative, not bitwise. Token draws compare a uniform with
   * the CDF, so a token would change only if the draw fell within ~1e-7 of a boundary; the summed
   * log-probabilities of ~20 tokens differ by ~1e-6 (2e-6 seen).
   */
  private static final double LOG_PROB_TOLERANCE = 1e-5;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  static Stream<Arguments> algorithms() {
    return Stream.of(
        Arguments.of("sample", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.sample(lm).samples(6).decoding(TOKENS)),
        Arguments.of("best-of-N", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.bestOfN(lm, HAS_SEVEN).n(6).decoding(TOKENS)),
        Arguments.of("best-of-N, majority", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.bestOfN(lm, HAS_SEVEN).n(6)
            .selection(Selection.majority()).answers(t -> t.isEmpty() ? "" : t.substring(0, 1)).decoding(TOKENS)),
        Arguments.of("step beam", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.stepBeam(lm, DIGITS).n(8).m(4).maxSteps(10)
            .decoding(STEPS)),
        Arguments.of("step beam, lookahead 2", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.stepBeam(lm, DIGITS).n(8).m(4)
            .maxSteps(10).lookahead(2).decoding(STEPS)),
        Arguments.of("DVTS", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.dvts(lm, DIGITS).n(8).m(2).maxSteps(10)
            .decoding(STEPS)),
        Arguments.of("DVTS, lookahead 1", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.dvts(lm, DIGITS).n(8).m(4)
            .maxSteps(10).lookahead(1).decoding(STEPS)),
        Arguments.of("SMC", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.particleFilter(lm, DIGITS).particles(6)
            .potential(Potential.DIFFERENCE, 5).maxSteps(8).decoding(STEPS)),
        Arguments.of("SMC, weighted draw", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.particleFilter(lm, DIGITS)
            .particles(6).potential(Potential.MAX, 5).essThreshold(0.5).weightedDraw(true).maxSteps(8).decoding(STEPS)),
        Arguments.of("MCTS", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.mcts(lm, DIGITS).children(3).simulations(12)
            .waveSize(2).maxDepth(3).decoding(STEPS)),
        Arguments.of("MCTS, rollouts", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.mcts(lm, DIGITS).children(2)
            .simulations(8).waveSize(3).maxDepth(3).leafValue(MctsLeafValue.ROLLOUT).outcomeScorer(HAS_SEVEN)
            .decoding(STEPS)),
        Arguments.of("token beam", (Supplier<ProcessSearch<LmHypothesis, ?>>) () -> Search.tokenBeam(lm).numBeams(4)
            .numReturnSequences(4).maxNewTokens(12)));
  }

  /** One run of the builder's search with the policy's calls capped at {@code cap} rows. */
  private record Run(SearchResult result, List<SearchEvent> events, long modelCalls) {}

  private static Run run(ProcessSearch<LmHypothesis, ?> search, int cap, long seed, Budget budget) {
    List<SearchEvent> events = new ArrayList<>();
    search.seed(seed).budget(budget).listener(events::add);
    SearchContext ctx = search.newContext();
    try (LmProcess process = lm.process(PROMPT, ((ProcessSource.Lm) search.source()).decoding).maxBatchRows(cap)) {
      SearchResult r = search.search(process, ctx);
      // Done carries every counter, batch-dependent ones included: compared separately.
      events.removeIf(e -> e instanceof SearchEvent.Done);
      assertThat(process.diagnostics().liveBlocks()).as("only the prompt's KV block is left").isLessThanOrEqualTo(1);
      return new Run(r, events, r.stats().modelCalls());
    }
  }

  private static void assertSameAsUncapped(String name, Run expected, Run actual, int cap) {
    String as = name + " with at most " + cap + " rows per model call";
    List<Candidate> a0 = actual.result().candidates();
    List<Candidate> e0 = expected.result().candidates();
    assertThat(a0).as(as).extracting(Candidate::text, Candidate::score, Candidate::tokens, Candidate::finished)
        .containsExactlyElementsOf(e0.stream().map(c -> tuple(c.text(), c.score(), c.tokens(), c.finished())).toList());
    for (int i = 0; i < a0.size(); i++) {
      assertThat(a0.get(i).logProb()).as(as + ", log-probability of candidate " + i)
          .isCloseTo(e0.get(i).logProb(), offset(LOG_PROB_TOLERANCE));
    }
    assertThat(actual.result().outcome()).as(as).isEqualTo(expected.result().outcome());
    assertThat(Double.doubleToLongBits(actual.result().logZ())).as(as)
        .isEqualTo(Double.doubleToLongBits(expected.result().logZ()));
    assertThat(actual.events()).as(as).isEqualTo(expected.events());
    SearchStats a = actual.result().stats();
    SearchStats e = expected.result().stats();
    assertThat(new long[] {a.promptTokens(), a.generatedTokens(), a.policyTokens(), a.verifierCalls(), a.verifierTokens()})
        .as(as).containsExactly(e.promptTokens(), e.generatedTokens(), e.policyTokens(), e.verifierCalls(),
            e.verifierTokens());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void theSameSeedGivesTheSameResultWhateverTheBatchSize(String name, Supplier<ProcessSearch<LmHypothesis, ?>> algorithm) {
    for (long seed : new long[] {5, 21}) {
      Run uncapped = run(algorithm.get(), Integer.MAX_VALUE, seed, Budget.unlimited());
      assertThat(uncapped.result().candidates()).as(name).isNotEmpty();
      for (int cap : CAPS) {
        Run capped = run(algorithm.get(), cap, seed, Budget.unlimited());
        assertSameAsUncapped(name + ", seed " + seed, uncapped, capped, cap);
        if (cap == 1) {
          // one row per call: the cap really sliced the batches (every algorithm here decodes several rows at once)
          assertThat(capped.modelCalls()).as(name).isGreaterThan(uncapped.modelCalls());
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void aTokenBudgetStopsEveryBatchSizeAtTheSamePoint(String name, Supplier<ProcessSearch<LmHypothesis, ?>> algorithm) {
    Budget budget = Budget.tokens(60);
    Run uncapped = run(algorithm.get(), Integer.MAX_VALUE, 9, budget);
    for (int cap : new int[] {1, 3}) {
      assertSameAsUncapped(name + ", 60-token budget", uncapped, run(algorithm.get(), cap, 9, budget), cap);
    }
  }

  @Test
  void theRowCapMustBePositive() {
    try (LmProcess process = lm.process(PROMPT, TOKENS)) {
      assertThatThrownBy(() -> process.maxBatchRows(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("maxBatchRows must be >= 1, was 0");
    }
  }

  @Test
  void slicingChangesOnlyTheModelCallsAndThePadding() {
    Run uncapped = run(Search.stepBeam(lm, DIGITS).n(8).m(4).maxSteps(10).decoding(STEPS), Integer.MAX_VALUE, 21,
        Budget.unlimited());
    Run single = run(Search.stepBeam(lm, DIGITS).n(8).m(4).maxSteps(10).decoding(STEPS), 1, 21, Budget.unlimited());
    assertThat(uncapped.result().stats().policyTokens()).isEqualTo(162);
    assertThat(single.result().stats().policyTokens()).isEqualTo(162);
    assertThat(uncapped.modelCalls()).isEqualTo(24);
    // One row per call: a call per fed row, and never any padding.
    assertThat(single.modelCalls()).isGreaterThan(uncapped.modelCalls());
    assertThat(single.result().stats().paddingTokens()).isZero();
    // Padding only where live rows of one call feed different numbers of tokens (finished rows take no row).
    assertThat(uncapped.result().stats().paddingTokens()).isEqualTo(7);
  }
}
