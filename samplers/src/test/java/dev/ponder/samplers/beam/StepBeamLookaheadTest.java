package dev.ponder.samplers.beam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.ProcessScorer.Aggregation;
import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.core.RoundDriver;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Step beam and DVTS with lookahead: greedy roll-outs scored in place of the step, on the tiny GPT-2. */
class StepBeamLookaheadTest {
  private static LanguageModel lm;
  /** A stand-in PRM: prefers texts with many digits. */
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().chars().filter(Character::isDigit).count()
        / (1.0 + h.text().length())).toArray();
  };
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24).withBoundary(StepBoundary.stopAt(6, " "));
  private static final String PROMPT = "12 + ";

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  private static StepBeamSearch<LmHypothesis> search(boolean dvts) {
    return (dvts ? Search.dvts(lm, DIGITS) : Search.stepBeam(lm, DIGITS)).n(8).m(4).maxSteps(10).decoding(STEPS).seed(21);
  }

  /** Captured before lookahead existed (seed 21, N=8, M=4): lookahead 0 must reproduce it exactly. */
  @Test
  void lookaheadZeroIsThePlainSearchAsBefore() {
    SearchResult beam = search(false).lookahead(0).run(PROMPT);
    assertThat(beam.candidates()).extracting(Candidate::text).containsExactly(
        "*0*49 0s9", "22b\n\n844m4m53mm78bmm8m8r", "*0*49 -49g", "*0*49 g49 ", "22b\n\n844m4m53mm78bgm/4b ",
        "22b\n\n844m4m53mm78b4-:s\ng", "22b\n\n844m4m5nmm", "22b\n\n844m4m53mm78bmmm+:n", "22b\n\n844m4m5:1/b//b",
        "22b\n\n8:\n8m", "22b\n\n844m4m5:1/b//b*9mm/", "22b\n\n844m4m5:1/b//1mmm-b", "22b\n\n844m4m5:1/b//sm\nmwm");
    assertThat(beam.candidates()).extracting(Candidate::score).containsExactly(
        0.5, 0.48, 5 / 11.0, 5 / 11.0, 0.44, 0.44, 0.4375, 0.4, 0.4, 4 / 11.0, 0.36, 0.36, 0.32);
    assertThat(beam.candidates().get(0).logProb()).isEqualTo(-36.262928649009964);
    assertThat(beam.stats().generatedTokens()).isEqualTo(170);
    assertThat(beam.stats().policyTokens()).isEqualTo(162);
    assertThat(beam.stats().verifierCalls()).isEqualTo(4);
    assertThat(search(false).run(PROMPT).candidates()).isEqualTo(beam.candidates()); // 0 is the default

    SearchResult dvts = search(true).lookahead(0).run(PROMPT);
    assertThat(dvts.candidates()).extracting(Candidate::text).containsExactly(
        "22b\n\n844m4m53mm78bmm8m8r", "22b\n\n844m4m53mm78bgm/4b ", "22b\n\n844m4m53mm78b4-:s\ng", "22b\n\n844m4m5nmm",
        "22b\n\n844m4m53mm78bmmm+:n", "22b\n\n8:\n8m", "ggm77573mtm8/*8b  mb4", "ggm77573mtm8/*8b  gm5\nmt",
        "ggm77573mtm8/*8b  4m:*n+", "ggm77573mtm8/*8b  mm ", "ggm77573mtm8/*8b  mm ", "ggm77573mtm8/*8b  mm ",
        "ggm77573mtm8/*8b  mm ");
    // Before, the last three (forks made for a round that never ran) had NaN scores; now they carry the parent's.
    assertThat(dvts.candidates()).extracting(Candidate::score).containsExactly(
        0.48, 0.44, 0.44, 0.4375, 0.4, 4 / 11.0, 4 / 11.0, 0.32, 0.32, 7 / 22.0, 7 / 22.0, 7 / 22.0, 7 / 22.0);
    assertThat(dvts.stats().generatedTokens()).isEqualTo(197);
    assertThat(dvts.stats().policyTokens()).isEqualTo(193);
    assertThat(dvts.stats().verifierCalls()).isEqualTo(5);
  }

  /** What the PRM and the roll-outs saw in one direct run of {@link StepBeam}. */
  private static final class Recorded {
    final List<List<LmHypothesis>> scoredPerRound = new ArrayList<>();
    final List<int[]> scoredSteps = new ArrayList<>();
    final List<boolean[]> scoredTerminal = new ArrayList<>();
    final List<String[]> scoredTexts = new ArrayList<>();
    /** Roll-out -> the tokens it started from (its parent's state), recorded at its first greedy step. */
    final Map<LmHypothesis, int[]> startTokens = new IdentityHashMap<>();
    final Map<LmHypothesis, String> startTexts = new IdentityHashMap<>();
    final Map<LmHypothesis, int[]> endTokens = new IdentityHashMap<>();
    final List<SearchEvent> events = new ArrayList<>();
    long rolloutTokens;
    int greedyCalls;
    SearchResult result;
  }

  private static Recorded runDirect(boolean dvts, int lookahead, Budget budget) {
    Recorded rec = new Recorded();
    ProcessScorer<LmHypothesis> scorer = (hs, ctx) -> {
      rec.scoredPerRound.add(List.copyOf(hs));
      rec.scoredSteps.add(hs.stream().mapToInt(LmHypothesis::steps).toArray());
      boolean[] terminal = new boolean[hs.size()];
      for (int i = 0; i < hs.size(); i++) {
        terminal[i] = hs.get(i).isTerminal();
        rec.endTokens.put(hs.get(i), hs.get(i).allTokens());
      }
      rec.scoredTerminal.add(terminal);
      rec.scoredTexts.add(hs.stream().map(LmHypothesis::text).toArray(String[]::new));
      return DIGITS.score(hs, ctx);
    };
    SearchContext ctx = SearchContext.builder().seed(21).budget(budget).listener(rec.events::add).build();
    try (LmProcess process = lm.process(PROMPT, STEPS)) {
      StepBeam.GreedyStep<LmHypothesis> greedy = (rs, c) -> {
        rec.greedyCalls++;
        long before = 0;
        for (LmHypothesis r : rs) {
          before += r.generatedLength();
          if (!rec.startTokens.containsKey(r)) {
            rec.startTokens.put(r, r.allTokens());
            rec.startTexts.put(r, r.text());
          }
        }
        List<LmHypothesis> out = process.advanceGreedy(rs, c);
        for (LmHypothesis r : out) {
          rec.rolloutTokens += r.generatedLength();
        }
        rec.rolloutTokens -= before;
        return out;
      };
      rec.result = RoundDriver.run(new StepBeam<>(process, scorer,
          new StepBeam.Config(8, 4, dvts, Aggregation.LAST, 10, lookahead), greedy, ctx), ctx);
      assertThat(process.diagnostics().liveBlocks()).as("every roll-out released").isLessThanOrEqualTo(1); // the prompt's
    }
    return rec;
  }

  @ParameterizedTest(name = "dvts={0}, lookahead={1}")
  @CsvSource({"false,1", "false,2", "true,1", "true,3"})
  void thePrmScoresPrefixesKStepsLongerThanTheKeptOnes(boolean dvts, int k) {
    Recorded rec = runDirect(dvts, k, Budget.unlimited());
    assertThat(rec.scoredPerRound).isNotEmpty();
    int rolledFullK = 0;
    for (int round = 0; round < rec.scoredPerRound.size(); round++) {
      int kept = round + 1; // steps a kept hypothesis has taken after this round's real step
      List<LmHypothesis> hs = rec.scoredPerRound.get(round);
      for (int i = 0; i < hs.size(); i++) {
        LmHypothesis h = hs.get(i);
        int steps = rec.scoredSteps.get(round)[i];
        if (!rec.startTokens.containsKey(h)) {
          // not rolled out: terminal after its real step, scored as it is
          assertThat(rec.scoredTerminal.get(round)[i]).isTrue();
          assertThat(steps).isEqualTo(kept);
          continue;
        }
        // a roll-out: its parent's tokens, then greedy steps; k of them unless it ended first
        assertThat(rec.endTokens.get(h)).startsWith(rec.startTokens.get(h));
        assertThat(rec.scoredTexts.get(round)[i]).startsWith(rec.startTexts.get(h));
        if (rec.scoredTerminal.get(round)[i]) {
          assertThat(steps).isBetween(kept + 1, kept + k);
        } else {
          assertThat(steps).isEqualTo(kept + k);
          rolledFullK++;
        }
      }
    }
    assertThat(rolledFullK).isPositive();
    assertThat(rec.greedyCalls).isBetween(k, k * rec.scoredPerRound.size());
    assertThat(rec.result.candidates()).isNotEmpty();
  }

  @Test
  void rollOutsAreGreedyTheSameStateRollsOutTheSameWay() {
    Recorded rec = runDirect(false, 2, Budget.unlimited());
    assertThat(rec.startTokens).isNotEmpty();
    int compared = 0;
    for (Map.Entry<LmHypothesis, int[]> e : rec.startTokens.entrySet()) {
      int[] start = e.getValue();
      int[] end = rec.endTokens.get(e.getKey());
      // Roll the same state out again, alone, in a greedy process of its own: the same tokens.
      int promptLength = lm.encode(PROMPT).length;
      int generated = start.length - promptLength;
      Decoding greedy = STEPS.withTemperature(0).withMaxNewTokens(STEPS.maxNewTokens() - generated);
      SearchContext ctx = SearchContext.builder().build();
      try (LmProcess again = lm.process(start, greedy)) {
        LmHypothesis h = again.start(1, ctx).get(0);
        for (int j = 0; j < 2 && !h.isTerminal(); j++) {
          again.advance(List.of(h), ctx);
        }
        int[] rolled = h.allTokens();
        assertThat(rolled).as("roll-out from %s", Arrays.toString(start)).isEqualTo(end);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(rec.startTokens.size());
  }

  @Test
  void twoForksOfOneStateRollOutTheSameAndAsAGreedyDecodingWould() {
    SearchContext ctx = SearchContext.builder().seed(3).build();
    try (LmProcess sampling = lm.process(PROMPT, STEPS); LmProcess greedy = lm.process(PROMPT, STEPS.withTemperature(0))) {
      LmHypothesis root = sampling.start(1, ctx).get(0);
      LmHypothesis a = sampling.fork(root, ctx);
      LmHypothesis b = sampling.fork(root, ctx);
      LmHypothesis g = greedy.start(1, ctx).get(0);
      for (int j = 0; j < 3; j++) {
        sampling.advanceGreedy(new ArrayList<>(List.of(a, b)), ctx);
        greedy.advance(List.of(g), ctx);
      }
      assertThat(a.text()).isEqualTo(b.text()).isEqualTo(g.text()).isNotEmpty();
      assertThat(a.logProb()).isEqualTo(b.logProb()).isEqualTo(g.logProb());
      assertThat(a.steps()).isEqualTo(3);
    }
  }

  @ParameterizedTest(name = "dvts={0}")
  @ValueSource(booleans = {false, true})
  void rollOutTokensArePolicyTokensAndEachTokenIsFedOnce(boolean dvts) {
    Recorded plain = runDirect(dvts, 0, Budget.unlimited());
    Recorded ahead = runDirect(dvts, 2, Budget.unlimited());
    for (Recorded rec : List.of(plain, ahead)) {
      long finishes = rec.events.stream().filter(e -> e instanceof SearchEvent.Finish).count();
      // Every generated token, kept or rolled out, is fed to the model once, except each hypothesis's
      // end-of-sequence or length-cutting token (one Finish event each, roll-outs included); the prompt once.
      assertThat(rec.result.stats().policyTokens())
          .isEqualTo(rec.result.stats().promptTokens() + rec.result.stats().generatedTokens() - finishes);
      assertThat(rec.result.stats().verifierCalls())
          .isEqualTo(rec.events.stream().filter(e -> e instanceof SearchEvent.Step).count());
    }
    assertThat(plain.rolloutTokens).isZero();
    assertThat(plain.greedyCalls).isZero();
    assertThat(ahead.rolloutTokens).isPositive();
    // The roll-outs' tokens are in the counters on top of the kept hypotheses' own.
    long keptTokens = ahead.result.stats().generatedTokens() - ahead.rolloutTokens;
    assertThat(keptTokens).isPositive();
    assertThat(ahead.result.stats().generatedTokens()).isEqualTo(keptTokens + ahead.rolloutTokens);
    // Pinned at seed 21, N=8, M=4, lookahead 2 (lookahead 0: 170 and 197 generated, 162 and 193 policy tokens).
    assertThat(ahead.rolloutTokens).isEqualTo(dvts ? 227 : 223);
    assertThat(ahead.result.stats().generatedTokens()).isEqualTo(dvts ? 412 : 404);
    assertThat(ahead.result.stats().policyTokens()).isEqualTo(dvts ? 389 : 385);
    assertThat(ahead.result.best().text()).isEqualTo("22b\n\n844m4m53mm78b4m4m99");
    assertThat(ahead.result.best().score()).isEqualTo(0.56);
  }

  @ParameterizedTest(name = "dvts={0}")
  @ValueSource(booleans = {false, true})
  void aBudgetStopsTheSearchMidRollOut(boolean dvts) {
    long limit = 60;
    SearchResult r = search(dvts).lookahead(3).budget(Budget.tokens(limit)).run(PROMPT);
    assertThat(r.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(r.candidates()).isNotEmpty();
    // It stops within one batched call of the limit: at most N rows (or N roll-outs) of one token each.
    assertThat(r.stats().policyTokens()).isBetween(limit, limit + 8);
    SearchResult unlimited = search(dvts).lookahead(3).run(PROMPT);
    assertThat(unlimited.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(unlimited.stats().policyTokens()).isGreaterThan(limit + 8);
  }

  @Test
  void lookaheadMustNotBeNegative() {
    assertThatThrownBy(() -> Search.stepBeam(lm, DIGITS).lookahead(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("lookahead must be >= 0, was -1");
  }
}
