package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;
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
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching ({@link LanguageModel#batchAcrossSearches}) changes nothing a search returns: searches run
 * at once on one model, their calls merged, each equal their solo run (without the scheduler) token for token
 * and score for score, with the same events and the same counters (each search counts its own calls and tokens,
 * as alone). Log-probabilities agree to 1e-5, not bitwise: ONNX Runtime's attention sums over the call's padded
 * past, and rows of another search pad it differently (see {@link AlgorithmDeterminismTest}); so the token beam,
 * whose scores are log-probabilities, has its scores compared to 1e-5 and its tokens exactly.
 */
class ContinuousBatchingTest {
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().chars().filter(Character::isDigit).count()
        / (1.0 + h.text().length())).toArray();
  };
  private static final OutcomeScorer<LmHypothesis> HAS_SEVEN = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().contains("7") ? 1 : h.text().length() / 100.0).toArray();
  };
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24)
      .withBoundary(StepBoundary.stopAt(6, " "));
  private static final Decoding TOKENS = Decoding.sampling().withMaxNewTokens(20);
  private static final String[] PROMPTS = {"12 + ", "3 + 4 = ", "7", "100 - 9 = 9", "5 5 "};

  private LanguageModel lm;

  // On a loaded machine a thread may be descheduled for longer than the 2 ms a merged call waits for the others,
  // and then no call would merge; the tests assert that calls merge, so they give them 20 ms.
  @org.junit.jupiter.api.BeforeAll
  static void waitLonger() {
    System.setProperty("ponder.lm.batchWaitMicros", "20000");
  }

  @org.junit.jupiter.api.AfterAll
  static void waitAsConfigured() {
    System.clearProperty("ponder.lm.batchWaitMicros");
  }

  @AfterEach
  void close() {
    if (lm != null) {
      lm.close();
    }
  }

  private List<Supplier<ProcessSearch<LmHypothesis, ?>>> searches() {
    return List.of(
        () -> Search.bestOfN(lm, HAS_SEVEN).n(4).decoding(TOKENS),
        () -> Search.sample(lm).samples(6).decoding(TOKENS),
        () -> Search.bestOfN(lm, HAS_SEVEN).n(4).decoding(TOKENS),
        () -> Search.stepBeam(lm, DIGITS).n(8).m(4).maxSteps(10).decoding(STEPS),
        () -> Search.particleFilter(lm, DIGITS).particles(6).potential(Potential.DIFFERENCE, 5).maxSteps(8)
            .decoding(STEPS),
        () -> Search.mcts(lm, DIGITS).children(3).simulations(12).waveSize(2).maxDepth(3).decoding(STEPS),
        () -> Search.tokenBeam(lm).numBeams(4).numReturnSequences(4).maxNewTokens(12),
        () -> Search.bestOfN(lm, HAS_SEVEN).n(4).decoding(TOKENS.withTemperature(0.7)),
        () -> Search.dvts(lm, DIGITS).n(8).m(2).maxSteps(10).decoding(STEPS),
        () -> Search.bestOfN(lm, HAS_SEVEN).n(8).decoding(TOKENS));
  }

  private record Run(SearchResult result, List<SearchEvent> events) {}

  private Run run(int i, Budget budget) {
    return run(i, budget, false);
  }

  /** Search i; {@code cancelled}: when odd-numbered, it cancels itself on its third step event. */
  private Run run(int i, Budget budget, boolean cancelled) {
    return run(i, budget, cancelled, null);
  }

  /**
   * {@code opened}: when given, waited on once the process is open, so that every search is attached to the
   * scheduler before any makes its first call (a search started late on a loaded machine would otherwise find
   * the others finished, and nothing would merge).
   */
  private Run run(int i, Budget budget, boolean cancelled, CyclicBarrier opened) {
    List<SearchEvent> events = new ArrayList<>();
    SearchContext[] ctx = new SearchContext[1];
    ProcessSearch<LmHypothesis, ?> search = searches().get(i).get().seed(100 + i).budget(budget).listener(e -> {
      events.add(e);
      if (cancelled && i % 2 == 1 && e instanceof SearchEvent.Step step && step.step() == 2) {
        ctx[0].cancel();
      }
    });
    ctx[0] = search.newContext();
    Decoding decoding = search.source() instanceof dev.ponder.samplers.core.ProcessSource.Lm lmSource
        ? lmSource.decoding : TOKENS;
    SearchResult r;
    try (LmProcess process = lm.process(PROMPTS[i % PROMPTS.length], decoding)) {
      if (opened != null) {
        try {
          opened.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      r = search.search(process, ctx[0]);
    }
    events.removeIf(e -> e instanceof SearchEvent.Done); // carries the wall time
    return new Run(r, events);
  }

  private List<Run> concurrently(int n, Budget budget) throws Exception {
    return concurrently(n, budget, false);
  }

  private List<Run> concurrently(int n, Budget budget, boolean cancelled) throws Exception {
    CyclicBarrier start = new CyclicBarrier(n);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Run>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        futures.add(pool.submit(() -> {
          return run(k, budget, cancelled, start);
        }));
      }
      List<Run> out = new ArrayList<>();
      for (Future<Run> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The search whose scores are the policy's own log-probabilities. */
  private static final int TOKEN_BEAM = 6;

  private static void assertSame(String as, Run expected, Run actual, boolean scoresAreLogProbs) {
    List<Candidate> e0 = expected.result().candidates();
    List<Candidate> a0 = actual.result().candidates();
    assertThat(a0).as(as).extracting(Candidate::text, Candidate::tokens, Candidate::finished)
        .containsExactlyElementsOf(e0.stream().map(c -> tuple(c.text(), c.tokens(), c.finished())).toList());
    for (int i = 0; i < a0.size(); i++) {
      if (scoresAreLogProbs) {
        assertThat(a0.get(i).score()).as(as + ", score of candidate " + i)
            .isCloseTo(e0.get(i).score(), offset(1e-5));
      } else {
        assertThat(Double.doubleToLongBits(a0.get(i).score())).as(as + ", score of candidate " + i)
            .isEqualTo(Double.doubleToLongBits(e0.get(i).score())); // bitwise (sampling's scores are NaN)
      }
      assertThat(a0.get(i).logProb()).as(as + ", log-probability of candidate " + i)
          .isCloseTo(e0.get(i).logProb(), offset(1e-5));
    }
    assertThat(actual.result().outcome()).as(as).isEqualTo(expected.result().outcome());
    if (!scoresAreLogProbs) {
      assertThat(actual.events()).as(as).isEqualTo(expected.events());
    } else { // the same events; a Score's value to 1e-5
      assertThat(actual.events()).as(as).hasSameSizeAs(expected.events());
      for (int i = 0; i < actual.events().size(); i++) {
        SearchEvent e = expected.events().get(i);
        SearchEvent a = actual.events().get(i);
        if (e instanceof SearchEvent.Score es && a instanceof SearchEvent.Score sa) {
          assertThat(sa.lineage()).as(as + ", event " + i).isEqualTo(es.lineage());
          assertThat(sa.score()).as(as + ", event " + i).isCloseTo(es.score(), offset(1e-5));
        } else {
          assertThat(a).as(as + ", event " + i).isEqualTo(e);
        }
      }
    }
    SearchStats a = actual.result().stats();
    SearchStats e = expected.result().stats();
    assertThat(new long[] {a.promptTokens(), a.generatedTokens(), a.policyTokens(), a.paddingTokens(), a.modelCalls(),
        a.verifierCalls()}).as(as).containsExactly(e.promptTokens(), e.generatedTokens(), e.policyTokens(),
        e.paddingTokens(), e.modelCalls(), e.verifierCalls());
  }

  private void checkAgainstSolo(int n, Budget budget, int lanes, boolean cancelled) throws Exception {
    checkAgainstSolo(n, budget, lanes, cancelled, dev.ponder.engine.model.ModelOptions.cpu());
  }

  private void checkAgainstSolo(int n, Budget budget, int lanes, boolean cancelled,
      dev.ponder.engine.model.ModelOptions options) throws Exception {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"), options);
    List<Run> solo = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      solo.add(run(i, budget, cancelled));
      assertThat(solo.get(i).result().candidates()).as("search " + i).isNotEmpty();
      if (cancelled) {
        assertThat(solo.get(i).result().outcome()).as("search " + i).isEqualTo(i % 2 == 1 ? dev.ponder.engine.SearchResult.Outcome.CANCELLED : dev.ponder.engine.SearchResult.Outcome.COMPLETED);
      }
    }
    assertThat(lm.sharedCalls().calls()).as("no scheduler yet").isZero();
    lm.batchAcrossSearches(lanes);
    List<Run> together = concurrently(n, budget, cancelled);
    for (int i = 0; i < n; i++) {
      assertSame("search " + i + " run beside " + (n - 1) + " others", solo.get(i), together.get(i), i == TOKEN_BEAM);
    }
    LanguageModel.SharedCalls shared = lm.sharedCalls();
    long requests = together.stream().mapToLong(r -> r.result().stats().modelCalls()).sum();
    assertThat(shared.requests()).as("every search's call went through the scheduler").isEqualTo(requests);
    assertThat(shared.calls()).as("calls of different searches were merged: " + shared).isLessThan(requests);
  }

  @Test
  void searchesRunTogetherEqualTheirSoloRuns() throws Exception {
    checkAgainstSolo(searches().size(), Budget.unlimited(), 1, false);
  }

  @Test
  void inTwoLanesToo() throws Exception {
    checkAgainstSolo(searches().size(), Budget.unlimited(), 2, false);
  }

  @Test
  void aTokenBudgetStopsEachSearchWhereItStopsAlone() throws Exception {
    checkAgainstSolo(6, Budget.tokens(50), 1, false);
  }

  @Test
  void aCancelledSearchStopsWhereItStopsAloneAndTheOthersFinish() throws Exception {
    checkAgainstSolo(searches().size(), Budget.unlimited(), 1, true);
  }

  @Test
  void underATightMemoryLimitMergedCallsAreSplitAndChangeNothing() throws Exception {
    // 300 KB: each of the first three searches' own calls fit (about 260 KB at their longest), three merged do not.
    checkAgainstSolo(3, Budget.unlimited(), 1, false,
        dev.ponder.engine.model.ModelOptions.cpu().withBatchMemoryLimit(300_000));
  }

  @Test
  void aLoneSearchWaitsForNoOneAndMakesItsOwnCalls() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
    Run alone = run(0, Budget.unlimited());
    lm.batchAcrossSearches(true);
    Run scheduled = run(0, Budget.unlimited());
    assertSame("one search through the scheduler", alone, scheduled, false);
    assertThat(lm.sharedCalls().calls()).isEqualTo(scheduled.result().stats().modelCalls());
  }
}
