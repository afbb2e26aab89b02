package dev.ponder.samplers.mcts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.Budget;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.mcts.MctsSearch.MctsLeafValue;
import dev.ponder.samplers.mcts.MctsSearch.MctsRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MCTS end to end on the tiny random GPT-2 with a stand-in PRM. */
class MctsTest {
  private static LanguageModel lm;
  /** A stand-in PRM: prefers texts with many digits. */
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().chars().filter(Character::isDigit).count()
        / (1.0 + h.text().length())).toArray();
  };
  /** A stand-in terminal checker: 1 when the answer holds a '7'. */
  private static final OutcomeScorer<LmHypothesis> HAS_SEVEN = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().contains("7") ? 1 : 0).toArray();
  };
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24).withBoundary(StepBoundary.stopAt(6, " "));

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static MctsSearch<LmHypothesis> mcts() {
    return Search.mcts(lm, DIGITS).decoding(STEPS);
  }

  private static long count(List<SearchEvent> events, Class<?> type) {
    return events.stream().filter(type::isInstance).count();
  }

  /** Counts advance calls and their sizes. */
  private static final class Counting implements GenerativeProcess<LmHypothesis> {
    final LmProcess p;
    final List<Integer> sizes = new ArrayList<>();

    Counting(LmProcess p) {
      this.p = p;
    }

    @Override public List<LmHypothesis> start(int n, SearchContext ctx) { return p.start(n, ctx); }
    @Override public List<LmHypothesis> advance(List<LmHypothesis> l, SearchContext ctx) {
      sizes.add(l.size());
      return p.advance(l, ctx);
    }
    @Override public LmHypothesis fork(LmHypothesis h, SearchContext ctx) { return p.fork(h, ctx); }
    @Override public boolean isTerminal(LmHypothesis h) { return p.isTerminal(h); }
    @Override public long lineage(LmHypothesis h) { return p.lineage(h); }
    @Override public Candidate toCandidate(LmHypothesis h, double s) { return p.toCandidate(h, s); }
    @Override public void release(LmHypothesis h) { p.release(h); }
    @Override public void close() { p.close(); }
  }

  @ParameterizedTest(name = "wave={0}")
  @ValueSource(ints = {1, 4})
  void oneBatchedStepPerWaveEachTokenOnceAndEverythingReleased(int wave) {
    List<SearchEvent> events = new ArrayList<>();
    SearchContext ctx = SearchContext.builder().seed(5).listener(events::add).build();
    try (LmProcess process = lm.process("12 + ", STEPS)) {
      Counting counting = new Counting(process);
      Mcts.Config cfg = new Mcts.Config(12, 3, wave, 4, MctsRule.PUCT, 1.25, 0, 1, MctsLeafValue.PROCESS, 0);
      SearchResult r = Mcts.create(counting, DIGITS, null, LmHypothesis::lastStepLogProb, cfg, ctx).search();

      long steps = count(events, SearchEvent.Step.class);
      assertThat(counting.sizes).hasSize((int) steps);
      // every wave: one advance of all its expansions' forks (k per expanded leaf), one PRM call
      List<Integer> expanded = events.stream().filter(e -> e instanceof SearchEvent.Expand)
          .map(e -> ((SearchEvent.Expand) e).children().size()).toList();
      assertThat(expanded).allSatisfy(k -> assertThat(k).isEqualTo(3));
      assertThat(counting.sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(3 * expanded.size());
      assertThat(counting.sizes).allSatisfy(n -> assertThat(n).isBetween(3, 3 * wave));
      assertThat(r.stats().verifierCalls()).isEqualTo(steps);
      assertThat(r.stats().modelCalls()).isBetween(1 + steps, 1 + 6 * steps);
      // no re-prefill: the prompt once, then each node's tokens once (forks share their prefix), except the
      // token that ends a finished hypothesis
      long finishes = count(events, SearchEvent.Finish.class);
      assertThat(r.stats().policyTokens()).isEqualTo(r.stats().promptTokens() + r.stats().generatedTokens() - finishes);
      assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
      assertThat(r.candidates()).isNotEmpty();
      assertThat(process.diagnostics().liveBlocks()).isEqualTo(1); // only the prompt's state, kept by the process
    }
  }

  @Test
  void aSeedFixesTheResultAndAFullTreeIsTheSameForEveryWaveSize() {
    SearchResult one = mcts().children(2).maxDepth(2).simulations(10).waveSize(1).seed(9).run("7 *");
    assertThat(mcts().children(2).maxDepth(2).simulations(10).waveSize(1).seed(9).run("7 *").candidates())
        .isEqualTo(one.candidates());
    for (int wave : new int[] {2, 3, 8}) {
      SearchResult r = mcts().children(2).maxDepth(2).simulations(10).waveSize(wave).seed(9).run("7 *");
      assertThat(r.candidates()).as("wave %d", wave).isEqualTo(one.candidates());
      assertThat(r.stats().policyTokens()).isEqualTo(one.stats().policyTokens());
    }
    assertThat(one.candidates()).hasSizeBetween(2, 4);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tokens", "modelCalls", "verifierCalls"})
  void aBudgetStopsTheSearchWithTheBestSoFar(String limit) {
    Budget budget = switch (limit) {
      case "tokens" -> Budget.tokens(40);
      case "modelCalls" -> Budget.modelCalls(8);
      default -> Budget.unlimited().withVerifierCalls(2);
    };
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = mcts().children(3).simulations(200).maxDepth(8).budget(budget).seed(2).listener(events::add)
        .run("12 + ");
    assertThat(r.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(r.stopReason()).isInstanceOfSatisfying(StopReason.LimitReached.class, why -> {
      assertThat(why.limit()).isEqualTo(switch (limit) {
        case "tokens" -> Budget.Limit.POLICY_TOKENS;
        case "modelCalls" -> Budget.Limit.MODEL_CALLS;
        default -> Budget.Limit.VERIFIER_CALLS;
      });
      assertThat(why.spent()).isGreaterThanOrEqualTo(why.allowed());
    });
    assertThat(r.candidates()).isNotEmpty();
    assertThat(events.get(events.size() - 1)).isInstanceOf(SearchEvent.Done.class);
    long finishes = count(events, SearchEvent.Finish.class);
    assertThat(r.stats().policyTokens()).isEqualTo(r.stats().promptTokens() + r.stats().generatedTokens() - finishes);
  }

  @Test
  void rolloutsValueLeavesAndTheCheckerValuesTerminals() {
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = mcts().children(2).simulations(6).maxDepth(6).leafValue(MctsLeafValue.ROLLOUT)
        .outcomeScorer(HAS_SEVEN).uct(0.5).seed(4).listener(events::add).run("12 + ");
    List<SearchEvent.Score> scores = events.stream().filter(e -> e instanceof SearchEvent.Score)
        .map(e -> (SearchEvent.Score) e).toList();
    assertThat(scores).anyMatch(s -> s.scorer().equals("rollout"));
    assertThat(scores).filteredOn(s -> !s.scorer().equals("process"))
        .allSatisfy(s -> assertThat(s.score()).isIn(0.0, 1.0));
    assertThat(r.candidates()).isNotEmpty();
    assertThat(r.candidates().get(0).score()).isGreaterThanOrEqualTo(r.candidates().get(r.candidates().size() - 1).score());
    long finishes = count(events, SearchEvent.Finish.class);
    assertThat(r.stats().policyTokens()).isEqualTo(r.stats().promptTokens() + r.stats().generatedTokens() - finishes);
  }

  @Test
  void theTraceIsTheTreeWithVisitsTextsAndTheChosenPath() {
    SearchResult r = mcts().children(3).simulations(5).maxDepth(4).gumbel(2).seed(6).run("12 + ");
    List<SearchTrace.Tree.Node> nodes = ((SearchTrace.Tree) r.trace()).nodes();
    assertThat(nodes).hasSize(1 + 3 * 5);
    SearchTrace.Tree.Node root = nodes.get(0);
    assertThat(root.parent()).isEqualTo(-1);
    assertThat(root.step()).isEmpty();
    List<SearchTrace.Tree.Node> rootChildren = nodes.stream().filter(n -> n.parent() == 0).toList();
    assertThat(rootChildren).hasSize(3);
    // statistics count evaluations: the root's visits are its children's, and Gumbel-top-2 leaves one child out
    assertThat(root.visits()).isEqualTo(rootChildren.stream().mapToInt(SearchTrace.Tree.Node::visits).sum());
    assertThat(rootChildren).filteredOn(SearchTrace.Tree.Node::pruned).hasSize(1);
    for (SearchTrace.Tree.Node n : nodes) {
      assertThat(n.id()).isEqualTo(nodes.indexOf(n));
      if (n.id() > 0) {
        assertThat(n.depth()).isEqualTo(nodes.get(n.parent()).depth() + 1);
        assertThat(n.lineage()).isNotEqualTo(nodes.get(n.parent()).lineage());
      }
    }
    // the chosen path runs from the root to the node of the best candidate, whose text is the path's steps
    List<SearchTrace.Tree.Node> path = nodes.stream().filter(SearchTrace.Tree.Node::chosen).toList();
    assertThat(path.get(0).id()).isZero();
    StringBuilder text = new StringBuilder();
    for (int i = 1; i < path.size(); i++) {
      assertThat(path.get(i).parent()).isEqualTo(path.get(i - 1).id());
      text.append(path.get(i).step());
    }
    assertThat(text.toString()).isEqualTo(r.best().text());
    assertThat(path.get(path.size() - 1).score()).isEqualTo(r.best().score());
  }
}
