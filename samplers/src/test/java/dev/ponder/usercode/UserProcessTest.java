package dev.ponder.usercode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.Search;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A process written outside the library, driven through the public front door by every step-level algorithm. */
class UserProcessTest {
  private static final int LENGTH = 3;
  private static final OutcomeScorer<DigitWalk.Walk> DIGIT_SUM =
      (walks, ctx) -> walks.stream().mapToDouble(w -> DigitWalk.digitSum(w.digits)).toArray();
  private static final ProcessScorer<DigitWalk.Walk> PARTIAL_SUM = DIGIT_SUM::score;

  @Test
  void bestOfNPicksTheHighestDigitSumOfTheSameWalksThatSamplingDraws() {
    List<Candidate> sampled = Search.sample().samples(8).seed(3).run(new DigitWalk(LENGTH)).candidates();
    DigitWalk process = new DigitWalk(LENGTH); // a fresh one: a process numbers its lineages on across searches
    SearchResult best = Search.bestOfN(DIGIT_SUM).n(8).seed(3).run(process);

    // Each walk's digits are fixed by (seed, lineage): compute them here, independently of the library.
    RandomStreams random = new RandomStreams(3);
    List<String> expected = new ArrayList<>();
    for (long lineage = 0; lineage < 8; lineage++) {
      StringBuilder s = new StringBuilder();
      for (int step = 0; step < LENGTH; step++) {
        s.append(DigitWalk.digit(random, lineage, step));
      }
      expected.add(s.toString());
    }
    assertThat(sampled).extracting(Candidate::text).containsExactlyInAnyOrderElementsOf(expected);
    String top = expected.stream().max(Comparator.comparingInt(DigitWalk::digitSum)).orElseThrow();
    assertThat(best.best().score()).isEqualTo(DigitWalk.digitSum(top));
    assertThat(best.candidates()).hasSize(8);
    assertThat(best.stopReason()).isEqualTo(StopReason.completed());
    assertThat(best.stats().modelCalls()).isEqualTo(LENGTH); // one batched call per step for all 8
    assertThat(process.out).as("every walk released").isZero();
    assertThat(process.closed).as("the caller's process stays open").isFalse();
  }

  @Test
  void bestOfNThatStopsAtAScoreDrawsOnlyTheWavesItNeeds() {
    RandomStreams random = new RandomStreams(11);
    int firstHit = -1; // the first lineage whose digits sum to at least 20
    for (long lineage = 0; lineage < 64 && firstHit < 0; lineage++) {
      int sum = 0;
      for (int step = 0; step < LENGTH; step++) {
        sum += DigitWalk.digit(random, lineage, step);
      }
      firstHit = sum >= 20 ? (int) lineage : -1;
    }
    assertThat(firstHit).as("seed 11 has a walk summing to 20 or more among 64").isBetween(0, 63);
    int waves = firstHit / 4 + 1;

    DigitWalk process = new DigitWalk(LENGTH);
    SearchResult r = Search.bestOfN(DIGIT_SUM).n(64).stopAtScore(20).waves(4).seed(11).run(process);
    assertThat(r.candidates()).hasSize(4 * waves); // the waves up to and including the first hit, no more
    assertThat(r.best().score()).isGreaterThanOrEqualTo(20);
    assertThat(r.stats().verifierCalls()).isZero(); // DIGIT_SUM counts nothing; the scorer calls are the events:
    assertThat(process.advanceCalls).isEqualTo(waves * LENGTH);
    assertThat(process.out).isZero();
    // the samples are the first 4 * waves of the full search
    List<String> full = Search.bestOfN(DIGIT_SUM).n(64).seed(11).run(new DigitWalk(LENGTH)).candidates().stream()
        .map(Candidate::text).toList();
    assertThat(full).containsAll(r.candidates().stream().map(Candidate::text).toList());
  }

  @Test
  void selfConsistencyStopsAfterTheFirstWaveWhoseLeaderIsSettled() {
    // One digit per walk; the answer is "small" (0-7, probability 0.8) or "big" (8, 9).
    RandomStreams random = new RandomStreams(2);
    int small = 0;
    int big = 0;
    int expectedWaves = 0;
    while (expectedWaves < 20) {
      for (long lineage = expectedWaves * 10L; lineage < expectedWaves * 10L + 10; lineage++) {
        if (DigitWalk.digit(random, lineage, 0) < 8) {
          small++;
        } else {
          big++;
        }
      }
      expectedWaves++;
      if (leadProbability(Math.max(small, big), Math.min(small, big)) >= 0.95) {
        break;
      }
    }
    DigitWalk process = new DigitWalk(1);
    SearchResult r = Search.bestOfN(DIGIT_SUM).n(200).selection(dev.ponder.samplers.bestofn.BestOfNSearch.Selection.majority())
        .answers(t -> Integer.parseInt(t) < 8 ? "small" : "big").stopWhenSettled(0.95).waves(10).seed(2)
        .run(process);
    assertThat(r.candidates()).hasSize(10 * expectedWaves);
    assertThat(Integer.parseInt(r.best().text())).as("the majority answer comes first").isLessThan(small >= big ? 8 : 10);
    assertThat(process.out).isZero();
  }

  /** P(share > 1/2) for share ~ Beta(a + 1, b + 1), as P(Bin(a + b + 1, 1/2) <= a), summed here directly. */
  private static double leadProbability(int a, int b) {
    int m = a + b + 1;
    double p = 0;
    for (int k = 0; k <= a; k++) {
      p += binomial(m, k) / Math.pow(2, m);
    }
    return p;
  }

  private static double binomial(int m, int k) {
    double c = 1;
    for (int i = 1; i <= k; i++) {
      c = c * (m - k + i) / i;
    }
    return c;
  }

  @Test
  void stepBeamKeepsTheBestPartialSumEachRoundAndTracesTheTree() {
    DigitWalk process = new DigitWalk(LENGTH);
    SearchResult r = Search.stepBeam(PARTIAL_SUM).n(4).m(2).maxSteps(LENGTH).seed(5).run(process);

    List<SearchTrace.Tree.Node> nodes = ((SearchTrace.Tree) r.trace()).nodes();
    assertThat(nodes).hasSize(1 + 4 * LENGTH); // the root and 4 scored hypotheses per round
    for (int depth = 1; depth < LENGTH; depth++) {
      int d = depth;
      List<SearchTrace.Tree.Node> round = nodes.stream().filter(n -> n.depth() == d).toList();
      double cut = round.stream().mapToDouble(SearchTrace.Tree.Node::score).sorted().toArray()[round.size() - 2];
      // N/M = 2 survive; every pruned node scores no higher than the second best
      assertThat(round).filteredOn(SearchTrace.Tree.Node::pruned).hasSize(2)
          .allSatisfy(n -> assertThat(n.score()).isLessThanOrEqualTo(cut));
      for (SearchTrace.Tree.Node n : round) {
        assertThat(n.score()).isEqualTo(DigitWalk.digitSum(pathText(nodes, n)));
      }
    }
    SearchTrace.Tree.Node chosenLeaf = nodes.stream().filter(SearchTrace.Tree.Node::chosen)
        .max(Comparator.comparingInt(SearchTrace.Tree.Node::depth)).orElseThrow();
    assertThat(pathText(nodes, chosenLeaf)).isEqualTo(r.best().text());
    assertThat(r.best().score()).isEqualTo(DigitWalk.digitSum(r.best().text()));
    assertThat(process.out).isZero();
  }

  @Test
  void smcWithoutTiltKeepsEqualWeightsNeverResamplesAndEstimatesLogZZero() {
    DigitWalk process = new DigitWalk(LENGTH);
    SearchResult r = Search.particleFilter(PARTIAL_SUM).particles(6).potential(Potential.DIFFERENCE, 0)
        .maxSteps(LENGTH).seed(8).run(process);

    List<SearchTrace.Particles.Generation> gens = ((SearchTrace.Particles) r.trace()).generations();
    assertThat(gens).hasSize(LENGTH);
    assertThat(gens.subList(0, LENGTH - 1)).allSatisfy(g -> {
      assertThat(g.resampled()).isFalse();
      assertThat(g.ess()).isEqualTo(6.0);
      assertThat(g.logWeights()).containsOnly(0.0);
    });
    assertThat(r.logZ()).isEqualTo(0.0); // lambda 0: every potential is exp(0), so Z = 1 exactly
    assertThat(r.best().score()).isEqualTo(r.candidates().stream().mapToDouble(Candidate::score).max().orElseThrow());
    assertThat(process.out).isZero();
  }

  @Test
  void smcWithTiltResamplesAndRecordsTheAncestors() {
    DigitWalk process = new DigitWalk(LENGTH);
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = Search.particleFilter(PARTIAL_SUM).particles(6).potential(Potential.DIFFERENCE, 1)
        .maxSteps(LENGTH).seed(8).listener(events::add).run(process);
    List<SearchTrace.Particles.Generation> gens = ((SearchTrace.Particles) r.trace()).generations();
    List<SearchEvent.Resample> resamples = events.stream().filter(e -> e instanceof SearchEvent.Resample)
        .map(e -> (SearchEvent.Resample) e).toList();
    assertThat(resamples).isNotEmpty();
    for (SearchEvent.Resample e : resamples) {
      SearchTrace.Particles.Generation g = gens.get(e.step());
      assertThat(g.ancestors()).isEqualTo(e.ancestors());
      assertThat(g.ess()).isEqualTo(e.ess());
    }
    assertThat(process.out).isZero();
  }

  @Test
  void mctsBuildsOneNodePerChildAndBacksUpEveryValue() {
    DigitWalk process = new DigitWalk(LENGTH);
    SearchResult r = Search.mcts(PARTIAL_SUM).children(2).simulations(3).maxDepth(LENGTH).seed(4).run(process);

    List<SearchTrace.Tree.Node> nodes = ((SearchTrace.Tree) r.trace()).nodes();
    assertThat(nodes).hasSize(1 + 3 * 2);
    assertThat(nodes.get(0).visits()).isEqualTo(2 + 2 + 2); // three expansions of two children, each evaluated once
    for (SearchTrace.Tree.Node n : nodes.subList(1, nodes.size())) {
      assertThat(n.score()).isEqualTo(DigitWalk.digitSum(pathText(nodes, n)));
    }
    assertThat(r.candidates()).isNotEmpty();
    assertThat(process.out).isZero();
  }

  @Test
  void aScorerThatReturnsNanIsAnErrorNotTheWinner() {
    DigitWalk process = new DigitWalk(LENGTH);
    OutcomeScorer<DigitWalk.Walk> broken = (walks, ctx) -> {
      double[] s = new double[walks.size()];
      s[walks.size() - 1] = Double.NaN;
      return s;
    };
    assertThatThrownBy(() -> Search.bestOfN(broken).n(8).seed(1).run(process))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the outcome scorer returned NaN for hypothesis 7 of 8");
    assertThat(process.out).as("released on failure too").isZero();
  }

  @Test
  void anInterruptStopsTheSearchAfterTheCallInFlight() {
    DigitWalk process = new DigitWalk(10);
    ProcessScorer<DigitWalk.Walk> interrupting = (walks, ctx) -> {
      Thread.currentThread().interrupt();
      return PARTIAL_SUM.score(walks, ctx);
    };
    try {
      SearchResult r = Search.stepBeam(interrupting).n(4).m(2).maxSteps(10).seed(1).run(process);
      assertThat(r.stopReason()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.INTERRUPT));
      assertThat(process.advanceCalls).isEqualTo(1);
      assertThat(r.candidates()).hasSize(4);
    } finally {
      assertThat(Thread.interrupted()).as("the interrupt flag is left set").isTrue();
    }
    assertThat(process.out).isZero();
  }

  @Test
  void cancellingTheFutureStopsTheSearchWithinOneCallAndReleasesEverything() throws Exception {
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch mayReturn = new CountDownLatch(1);
    DigitWalk process = new DigitWalk(50) {
      @Override
      public List<Walk> advance(List<Walk> live, dev.ponder.engine.SearchContext ctx) {
        if (advanceCalls == 2) {
          inCall.countDown();
          await(mayReturn);
        }
        return super.advance(live, ctx);
      }
    };
    List<SearchEvent> events = new ArrayList<>();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    java.util.concurrent.atomic.AtomicInteger scorerCalls = new java.util.concurrent.atomic.AtomicInteger();
    OutcomeScorer<DigitWalk.Walk> counted = (walks, ctx) -> {
      scorerCalls.incrementAndGet();
      return DIGIT_SUM.score(walks, ctx);
    };
    CompletableFuture<SearchResult> future = Search.bestOfN(counted).n(4).seed(2).listener(events::add)
        .runAsync(process, executor);
    assertThat(inCall.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(future.cancel(true)).isTrue();
    mayReturn.countDown();
    executor.shutdown();
    assertThat(executor.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

    assertThatThrownBy(future::get).isInstanceOf(CancellationException.class);
    assertThat(process.advanceCalls).as("the call in flight finished; no other began").isEqualTo(3);
    assertThat(process.out).as("every walk released").isZero();
    assertThat(scorerCalls).as("a cancelled search's result is not scored").hasValue(0);
    assertThat(events).last().isInstanceOfSatisfying(SearchEvent.Done.class,
        d -> assertThat(d.stopReason()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.CALLER)));
  }

  @Test
  void aSearchCancelledBeforeItStartsMakesNothingAndStillEndsWithDone() throws Exception {
    DigitWalk process = new DigitWalk(LENGTH);
    List<SearchEvent> events = new ArrayList<>();
    List<Runnable> queued = new ArrayList<>();
    CompletableFuture<SearchResult> future = Search.bestOfN(DIGIT_SUM).n(4).listener(events::add)
        .runAsync(process, queued::add); // an executor that holds the task until we run it
    assertThat(future.cancel(true)).isTrue();
    queued.forEach(Runnable::run);
    assertThat(process.advanceCalls).isZero();
    assertThat(process.out).isZero();
    assertThat(events).singleElement().isInstanceOfSatisfying(SearchEvent.Done.class,
        d -> assertThat(d.stopReason()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.CALLER)));
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The digits on the path from the root to {@code node}. */
  private static String pathText(List<SearchTrace.Tree.Node> nodes, SearchTrace.Tree.Node node) {
    StringBuilder s = new StringBuilder();
    for (SearchTrace.Tree.Node n = node; n.parent() >= 0; n = nodes.get(n.parent())) {
      s.insert(0, n.step());
    }
    return s.toString();
  }
}
