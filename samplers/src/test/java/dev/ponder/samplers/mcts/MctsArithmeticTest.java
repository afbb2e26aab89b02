package dev.ponder.samplers.mcts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.Budget;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.mcts.MctsSearch.MctsLeafValue;
import dev.ponder.samplers.mcts.MctsSearch.MctsRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Exact small cases of MCTS on {@link MctsFakeProcess}: selection arithmetic, backup, waves, terminals. */
class MctsArithmeticTest {
  /** Value of a path: the fraction of its letters that are 'b'. */
  private static final ProcessScorer<MctsFakeProcess.H> B_SHARE = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.path.chars().filter(ch -> ch == 'b').count() / (double) h.path.length())
        .toArray();
  };

  private static Mcts.Config config(int sims, int k, int wave, int depth, MctsRule rule, double c, double vl,
      int gumbel) {
    return new Mcts.Config(sims, k, wave, depth, rule, c, vl, 1, MctsLeafValue.PROCESS, gumbel);
  }

  private static SearchContext ctx(List<SearchEvent> events) {
    return SearchContext.builder().seed(3).listener(events::add).build();
  }

  @Test
  void puctAndUctScoresFollowTheirFormulas() {
    // PUCT: Q + c P sqrt(N_s) / (1 + N_a)
    assertThat(MctsRule.PUCT.score(0.5, 0.25, 9, 2, 2.0)).isCloseTo(0.5 + 2.0 * 0.25 * 3 / 3, offset(1e-15));
    assertThat(MctsRule.PUCT.score(0.0, 0.5, 0, 0, 1.0)).isEqualTo(0.0);
    // UCT: Q + c sqrt(ln N_s / N_a); an unvisited child first
    assertThat(MctsRule.UCT.score(0.5, 0.9, 8, 2, 1.0)).isCloseTo(0.5 + Math.sqrt(Math.log(8) / 2), offset(1e-15));
    assertThat(MctsRule.UCT.score(0.0, 0.1, 8, 0, 1.0)).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void virtualLossCountsPendingSelectionsAsVisitsOfItsValue() {
    MctsTree t = new MctsTree(3);
    t.addRoot(0);
    int first = t.addChildren(MctsTree.ROOT_INDEX, 2);
    t.visits[first] = 1;
    t.valueSum[first] = 0.0;
    t.visits[first + 1] = 1;
    t.valueSum[first + 1] = 1.0;
    t.backup(MctsTree.ROOT_INDEX, 2, 1.0);
    // PUCT, c = 1, uniform priors: a = 0 + .5 sqrt2 / 2 = .354; b = 1 + .354 -> b
    assertThat(MctsRule.PUCT.selectChild(t, 0, 1.0, -2.0)).isEqualTo(first + 1);
    t.addVirtualLoss(first + 1, 1);
    assertThat(t.virtualLoss).containsExactly(1, 0, 1);
    assertThat(t.effectiveVisits(0)).isEqualTo(3);
    // b: Q' = (1 - 2) / 2 = -.5, + .5 sqrt3 / 3 = -.211; a: 0 + .5 sqrt3 / 2 = .433 -> a
    assertThat(t.effectiveQ(first + 1, -2.0, 0)).isEqualTo(-0.5);
    assertThat(MctsRule.PUCT.selectChild(t, 0, 1.0, -2.0)).isEqualTo(first);
    // a virtual visit worth 0 is not enough here: b = .5 + .289 = .789 > .433
    assertThat(MctsRule.PUCT.selectChild(t, 0, 1.0, 0.0)).isEqualTo(first + 1);
    t.addVirtualLoss(first + 1, -1);
    assertThat(t.virtualLoss).containsExactly(0, 0, 0);
    // exhausted children are skipped; none left -> UNVISITED
    t.exhausted[first + 1] = true;
    assertThat(MctsRule.UCT.selectChild(t, 0, 1.0, 0.0)).isEqualTo(first);
    t.exhausted[first] = true;
    assertThat(MctsRule.UCT.selectChild(t, 0, 1.0, 0.0)).isEqualTo(MctsTree.UNVISITED);
  }

  @Test
  void sequentialHalvingScheduleMatchesMctx() {
    assertThat(MctsHalving.consideredVisits(4, 16)).containsExactly(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5);
    assertThat(MctsHalving.consideredVisits(2, 5)).containsExactly(0, 0, 1, 1, 2);
    assertThat(MctsHalving.consideredVisits(3, 6)).containsExactly(0, 0, 0, 1, 1, 2);
    assertThat(MctsHalving.consideredVisits(1, 3)).containsExactly(0, 1, 2);
    assertThat(MctsHalving.sigma(0.5, 10)).isCloseTo((50 + 10) * 0.1 * 0.5, offset(1e-12));
  }

  @Test
  void backupAveragesEveryEvaluationOfTheSubtree() {
    List<SearchEvent> events = new ArrayList<>();
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    Mcts<MctsFakeProcess.H> m = Mcts.create(p, B_SHARE, null, null, config(3, 2, 1, 3, MctsRule.PUCT, 1.0, 0, 0),
        ctx(events));
    SearchResult run = m.search();
    MctsTree t = m.tree();
    // sim 1: root -> a (0), b (1). sim 2: PUCT picks b (1.354 vs .354) -> ba (.5), bb (1).
    // sim 3: a .5 vs b 2.5/3 + .5 = 1.083 -> b; ba .933 vs bb 1.933 -> bb -> bba (1/3), bbb (1), at max depth.
    assertThat(t.size()).isEqualTo(7);
    assertThat(t.parent).startsWith(-1, 0, 0, 2, 2, 4, 4);
    assertThat(t.visits).startsWith(6, 1, 5, 1, 3, 1, 1);
    assertThat(t.valueSum[0]).isCloseTo(1 + 1.5 + 5.0 / 3, offset(1e-12));
    assertThat(t.valueSum[2]).isCloseTo(1 + 1.5 + 5.0 / 3, offset(1e-12));
    assertThat(t.valueSum[4]).isCloseTo(1 + 5.0 / 3, offset(1e-12));
    assertThat(t.exhausted).startsWith(false, false, false, false, true, true, true);
    assertThat(run.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(run.candidates()).extracting(Candidate::text).containsExactly("bbb", "bba");
    assertThat(p.advanceSizes).containsExactly(2, 2, 2);
    assertThat(p.live).isZero();
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Score).hasSize(6);
    assertThat(events.get(events.size() - 1)).isInstanceOf(SearchEvent.Done.class);
  }

  @Test
  void aWaveExpandsItsLeavesInOneStepAndVirtualLossSpreadsThem() {
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    Mcts<MctsFakeProcess.H> m = Mcts.create(p, B_SHARE, null, null, config(3, 2, 2, 3, MctsRule.PUCT, 1.0, -2.0, 0),
        ctx(new ArrayList<>()));
    m.search();
    // wave 1: the root, then the root again (a collision) ends it. wave 2: b, then (virtual loss) a: one step of 4.
    assertThat(p.advanceSizes).containsExactly(2, 4);
    assertThat(m.tree().parent).startsWith(-1, 0, 0, 2, 2, 1, 1);
    assertThat(m.tree().virtualLoss).containsOnly(0);
  }

  @Test
  void terminalNodesAreValuedByTheOutcomeScorerOnceAndNeverExpanded() {
    AtomicInteger prmCalls = new AtomicInteger();
    ProcessScorer<MctsFakeProcess.H> prm = (hs, ctx) -> {
      prmCalls.incrementAndGet();
      assertThat(hs).noneMatch(h -> h.path.endsWith("b"));
      return hs.stream().mapToDouble(h -> 0.1).toArray();
    };
    OutcomeScorer<MctsFakeProcess.H> checker = (hs, ctx) -> hs.stream().mapToDouble(h -> 7.0).toArray();
    MctsFakeProcess p = new MctsFakeProcess(path -> path.endsWith("b")); // every 'b' step ends the hypothesis
    Mcts<MctsFakeProcess.H> m = Mcts.create(p, prm, checker, null, config(10, 2, 1, 3, MctsRule.UCT, 1.0, 0, 0),
        ctx(new ArrayList<>()));
    SearchResult run = m.search();
    MctsTree t = m.tree();
    // the tree is a, b*, aa, ab*, aaa, aab*: 3 expansions exhaust it, then the search stops early
    assertThat(t.size()).isEqualTo(7);
    assertThat(p.advanceSizes).hasSize(3);
    for (int i = 1; i < t.size(); i++) {
      assertThat(t.leafValue[i]).isEqualTo(t.terminal[i] ? 7.0 : 0.1);
      assertThat(t.isExpanded(i)).isEqualTo(!t.terminal[i] && t.depth[i] < 3);
    }
    assertThat(t.exhausted[0]).isTrue();
    assertThat(run.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(run.candidates()).extracting(Candidate::text).containsExactly("b", "ab", "aab", "aaa");
    assertThat(prmCalls.get()).isEqualTo(3);
  }

  @ParameterizedTest(name = "wave={0}")
  @ValueSource(ints = {1, 2, 3, 8})
  void aFullySearchedTreeIsTheSameForEveryWaveSize(int wave) {
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    Mcts<MctsFakeProcess.H> m = Mcts.create(p, B_SHARE, null, null, config(50, 3, wave, 2, MctsRule.PUCT, 1.0, 0, 0),
        ctx(new ArrayList<>()));
    SearchResult run = m.search();
    assertThat(m.tree().size()).isEqualTo(1 + 3 + 9);
    assertThat(m.tree().visits[0]).isEqualTo(12);
    assertThat(run.candidates()).extracting(Candidate::text)
        .containsExactly("bb", "ba", "bc", "ab", "cb", "ac", "cc", "ca", "aa");
  }

  @Test
  void gumbelRootSearchesOnlyTheConsideredChildrenOnTheHalvingSchedule() {
    List<SearchEvent> events = new ArrayList<>();
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    Mcts<MctsFakeProcess.H> m = Mcts.create(p, B_SHARE, null, null, config(7, 4, 1, 5, MctsRule.PUCT, 1.0, 0, 2),
        ctx(events));
    m.search();
    MctsTree t = m.tree();
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Prune).hasSize(2);
    int expandedRootChildren = 0;
    int considered = 0;
    for (int a = 1; a <= 4; a++) {
      if (t.isExpanded(a)) {
        expandedRootChildren++;
      }
      considered += t.visits[a] > 1 ? 1 : 0;
    }
    // 6 simulations after the root, m = 2: schedule 0,0,1,1,2,2 alternates between the two considered children
    assertThat(MctsHalving.consideredVisits(2, 6)).containsExactly(0, 0, 1, 1, 2, 2);
    assertThat(expandedRootChildren).isEqualTo(2);
    assertThat(considered).isEqualTo(2);
  }

  @Test
  void aDeadlineStopsTheSearchWithTheBestSoFar() {
    AtomicLong clock = new AtomicLong();
    List<SearchEvent> events = new ArrayList<>();
    SearchContext ctx = SearchContext.builder().seed(1).budget(Budget.deadlineOf(Duration.ofMillis(5)))
        .nanoClock(() -> clock.addAndGet(1_000_000)).listener(events::add).build();
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    SearchResult run = Mcts.create(p, B_SHARE, null, null, config(100, 2, 1, 10, MctsRule.PUCT, 1.0, 0, 0), ctx).search();
    assertThat(run.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(run.stopReason().describe()).startsWith("wall time");
    assertThat(run.candidates()).hasSize(1);
    assertThat(p.advanceSizes.size()).isBetween(1, 4);
    assertThat(p.live).isZero();
    assertThat(events.get(events.size() - 1)).isInstanceOfSatisfying(SearchEvent.Done.class,
        d -> assertThat(d.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED));
  }

  @Test
  void aDeadlinePassedBeforeTheFirstWaveReturnsNoCandidateRatherThanThePromptWithNaN() {
    AtomicLong clock = new AtomicLong();
    SearchContext ctx = SearchContext.builder().seed(1).budget(Budget.deadlineOf(Duration.ofMillis(5)))
        .nanoClock(() -> clock.addAndGet(10_000_000)).build();
    MctsFakeProcess p = new MctsFakeProcess(path -> false);
    SearchResult run = Mcts.create(p, B_SHARE, null, null, config(100, 2, 1, 10, MctsRule.PUCT, 1.0, 0, 0), ctx).search();
    assertThat(run.stopReason().describe()).startsWith("wall time");
    assertThat(run.candidates()).isEmpty();
    assertThat(p.advanceSizes).isEmpty();
    assertThat(p.live).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(run::best).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the search produced no candidate (wall time");
  }
}
