package dev.ponder.samplers.beam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Token beam search: builder validation, cost and memory invariants, and exact relations between its modes. */
class TokenBeamSearchTest {
  private static final String PROMPT = "numbers: 27 31 39 44 target: 19\n";
  private static LanguageModel policy;

  @BeforeAll
  static void load() {
    policy = LanguageModel.load(Zoo.model("countdown/policy"));
  }

  @AfterAll
  static void close() {
    policy.close();
  }

  private static TokenBeam.Config config(int beams, double lengthPenalty, TokenBeamSearch.EarlyStopping stopping,
      int returned) {
    return new TokenBeam.Config(beams, lengthPenalty, stopping, returned, policy.eosTokenIds());
  }

  /** A search on its own process and context, with the invariants every search must keep checked after it. */
  private static TokenBeam.Run search(TokenBeam.Config cfg, int maxNewTokens, SearchContext ctx,
      List<SearchEvent> events) {
    try (LmProcess process = policy.process(PROMPT, Decoding.greedy().withMaxNewTokens(maxNewTokens))) {
      TokenBeam.Run run = TokenBeam.run(process, cfg, ctx);
      assertThat(process.diagnostics().liveBlocks()).as("only the prompt's KV block outlives the search").isEqualTo(1);
      SearchResult r = run.result();
      assertThat(r.candidates()).hasSizeLessThanOrEqualTo(cfg.numReturnSequences());
      assertThat(run.tokens()).hasSameSizeAs(r.candidates());
      for (int i = 0; i < r.candidates().size(); i++) {
        Candidate c = r.candidates().get(i);
        assertThat(run.tokens().get(i)).hasSize(c.tokens());
        assertThat(c.tokens()).isLessThanOrEqualTo(maxNewTokens);
        if (c.tokens() > 0) { // transformers' rule: sum of log-probabilities / generated length ** lengthPenalty
          assertThat(c.score()).isCloseTo(c.logProb() / Math.pow(c.tokens(), cfg.lengthPenalty()), within(1e-4));
        }
        if (i > 0 && c.finished() == r.candidates().get(i - 1).finished()) {
          assertThat(c.score()).isLessThanOrEqualTo(r.candidates().get(i - 1).score());
        }
      }
      return run;
    } finally {
      assertThat(events).last().isInstanceOf(SearchEvent.Done.class);
    }
  }

  private static TokenBeam.Run search(TokenBeam.Config cfg, int maxNewTokens) {
    List<SearchEvent> events = new ArrayList<>();
    return search(cfg, maxNewTokens, SearchContext.builder().listener(events::add).build(), events);
  }

  @ParameterizedTest(name = "beams={0} lp={1} {2} max={3}")
  @CsvSource({"4, 1.0, EARLY, 72", "4, 0.0, HEURISTIC, 72", "3, 1.0, NEVER, 72", "5, 1.0, HEURISTIC, 9",
      "1, 0.0, EARLY, 72"})
  void oneBatchedModelCallPerStepAndNothingReprocessed(int beams, double lp, TokenBeamSearch.EarlyStopping stopping,
      int maxNewTokens) {
    List<SearchEvent> events = new ArrayList<>();
    SearchContext ctx = SearchContext.builder().listener(events::add).build();
    TokenBeam.Run run = search(config(beams, lp, stopping, beams), maxNewTokens, ctx, events);

    long steps = events.stream().filter(e -> e instanceof SearchEvent.Step).count();
    assertThat(run.result().outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(run.result().candidates()).hasSize(beams).allSatisfy(c -> assertThat(c.tokens()).isPositive());
    // The prompt once; then each step but the last feeds one token per beam in one call (the last feeds nothing).
    assertThat(run.result().stats().modelCalls()).isEqualTo(steps);
    assertThat(run.result().stats().policyTokens())
        .isEqualTo(run.result().stats().promptTokens() + beams * (steps - 1));
    assertThat(run.result().candidates().stream().mapToInt(Candidate::tokens).max().orElseThrow())
        .isLessThanOrEqualTo((int) steps);
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Finish).hasSizeGreaterThanOrEqualTo(beams);
    if (beams > 1) {
      assertThat(events).filteredOn(e -> e instanceof SearchEvent.Prune).isNotEmpty();
      assertThat(events).filteredOn(e -> e instanceof SearchEvent.Expand).isNotEmpty();
    }
  }

  /**
   * The three modes follow one trajectory and differ only in when they stop, and the finished set only improves
   * with time: so each returned score of NEVER >= HEURISTIC >= EARLY, place by place. With lengthPenalty 0,
   * NEVER and HEURISTIC are the same search.
   */
  @ParameterizedTest(name = "lp={0}")
  @ValueSource(doubles = {0.0, 1.0, 2.0})
  void laterStoppingModesReturnScoresAtLeastAsGood(double lp) {
    double[][] scores = new double[3][];
    TokenBeamSearch.EarlyStopping[] modes = TokenBeamSearch.EarlyStopping.values();
    for (int m = 0; m < modes.length; m++) {
      scores[m] = search(config(4, lp, modes[m], 4), 72).result().candidates().stream()
          .mapToDouble(Candidate::score).toArray();
      assertThat(scores[m]).hasSize(4);
    }
    for (int i = 0; i < 4; i++) {
      assertThat(scores[1][i]).isGreaterThanOrEqualTo(scores[0][i]);
      assertThat(scores[2][i]).isGreaterThanOrEqualTo(scores[1][i]);
    }
    if (lp == 0.0) {
      assertThat(scores[2]).containsExactly(scores[1]);
    }
  }

  @Test
  void oneBeamStoppingEarlyIsGreedyDecoding() {
    Candidate beam = search(config(1, 0.0, TokenBeamSearch.EarlyStopping.EARLY, 1), 72).result().best();
    Candidate greedy = Search.sample(policy).decoding(Decoding.greedy().withMaxNewTokens(72)).run(PROMPT).best();
    assertThat(beam.text()).isEqualTo(greedy.text());
    assertThat(beam.tokens()).isEqualTo(greedy.tokens());
    assertThat(beam.score()).isCloseTo(greedy.logProb(), within(1e-4));
  }

  @Test
  void aBudgetStopReturnsTheLiveBeamsUnfinishedAndReleasesThem() {
    List<SearchEvent> events = new ArrayList<>();
    SearchContext ctx = SearchContext.builder().budget(Budget.modelCalls(6)).listener(events::add).build();
    TokenBeam.Run run = search(config(4, 1.0, TokenBeamSearch.EarlyStopping.HEURISTIC, 3), 72, ctx, events);

    assertThat(run.result().outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(run.result().stopReason()).isEqualTo(new StopReason.LimitReached(Budget.Limit.MODEL_CALLS, 6, 6));
    assertThat(run.result().candidates()).hasSize(3).allSatisfy(c -> {
      assertThat(c.finished()).isFalse();
      assertThat(c.tokens()).isEqualTo(5);
    });
  }

  @Test
  void aCancelBeforeTheFirstStepReturnsThePromptAlone() {
    List<SearchEvent> events = new ArrayList<>();
    SearchContext ctx = SearchContext.builder().listener(events::add).build();
    ctx.cancel();
    TokenBeam.Run run = search(config(4, 1.0, TokenBeamSearch.EarlyStopping.EARLY, 2), 72, ctx, events);
    assertThat(run.result().outcome()).isEqualTo(Outcome.CANCELLED);
    assertThat(run.result().candidates()).singleElement()
        .satisfies(c -> assertThat(c.text()).isEmpty(), c -> assertThat(c.tokens()).isZero());
  }

  @Test
  void theBuilderIsDeterministicAndReturnsNumReturnSequences() {
    SearchResult a = new TokenBeamSearch(policy).numBeams(3).numReturnSequences(3).earlyStopping(false)
        .lengthPenalty(0.5).maxNewTokens(40).run(PROMPT);
    SearchResult b = new TokenBeamSearch(policy).numBeams(3).numReturnSequences(3).earlyStopping(false)
        .lengthPenalty(0.5).maxNewTokens(40).seed(99).run(PROMPT);
    assertThat(a.candidates()).hasSize(3).isEqualTo(b.candidates());
  }

  @Test
  void builderValidatesEagerlyAndNamesTheRule() {
    TokenBeamSearch search = new TokenBeamSearch(policy);
    assertThatThrownBy(() -> search.numBeams(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("numBeams must be >= 1, was 0");
    assertThatThrownBy(() -> search.numReturnSequences(0)).hasMessage("numReturnSequences must be >= 1, was 0");
    assertThatThrownBy(() -> search.maxNewTokens(0)).hasMessage("maxNewTokens must be >= 1, was 0");
    assertThatThrownBy(() -> search.lengthPenalty(Double.NaN)).hasMessageStartingWith("lengthPenalty must be finite");
    assertThatThrownBy(() -> search.lengthPenalty(Double.POSITIVE_INFINITY))
        .hasMessageStartingWith("lengthPenalty must be finite, was Infinity");
    assertThatThrownBy(() -> search.earlyStopping(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("earlyStopping");
    assertThatThrownBy(() -> new TokenBeamSearch(policy).numBeams(2).numReturnSequences(3).run(PROMPT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("numReturnSequences must be <= numBeams, was numReturnSequences=3, numBeams=2; "
            + "raise numBeams to 3 or lower numReturnSequences");
    // the order of the setters does not matter: only the final configuration is checked
    assertThat(new TokenBeamSearch(policy).numReturnSequences(6).numBeams(6).maxNewTokens(3).run(PROMPT)
        .candidates()).hasSize(6);
  }

  @Test
  void topKKeepsIndexOrderAmongEqualValues() {
    float[] values = {1f, 3f, 3f, Float.NEGATIVE_INFINITY, 2f, 3f};
    int[] index = new int[4];
    float[] value = new float[4];
    assertThat(TokenBeam.topK(values, values.length, 4, index, value)).isEqualTo(4);
    assertThat(index).containsExactly(1, 2, 5, 4);
    assertThat(value).containsExactly(3f, 3f, 3f, 2f);
    int[] all = new int[8];
    assertThat(TokenBeam.topK(values, values.length, 8, all, new float[8])).isEqualTo(6);
    assertThat(all).startsWith(1, 2, 5, 4, 0, 3);
  }

  @Test
  void theTraceIsTheBeamsTreeWithTheBestPathMarked() {
    SearchResult r = Search.tokenBeam(policy).numBeams(3).maxNewTokens(20).run(PROMPT);
    java.util.List<dev.ponder.engine.SearchTrace.Tree.Node> nodes =
        ((dev.ponder.engine.SearchTrace.Tree) r.trace()).nodes();
    // every node is one token past its parent, and the chosen path spells the best candidate
    for (var n : nodes.subList(1, nodes.size())) {
      assertThat(n.depth()).isEqualTo(nodes.get(n.parent()).depth() + 1);
    }
    StringBuilder text = new StringBuilder();
    nodes.stream().filter(dev.ponder.engine.SearchTrace.Tree.Node::chosen)
        .sorted(java.util.Comparator.comparingInt(dev.ponder.engine.SearchTrace.Tree.Node::depth))
        .forEach(n -> text.append(n.step()));
    assertThat(text.toString()).isEqualTo(r.best().text());
    assertThat(nodes.stream().filter(dev.ponder.engine.SearchTrace.Tree.Node::chosen).count())
        .isEqualTo(r.best().tokens() + 1L); // the root and one node per generated token
  }
}
