package dev.ponder.samplers.auto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.Search;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AutoSearchTest {
  /** The digit sum over 45: in [0, 1]. */
  private static final OutcomeScorer<ScriptedProcess.H> DIGIT_SUM = (hs, ctx) -> hs.stream()
      .mapToDouble(h -> h.text.chars().map(c -> c - '0').sum() / 45.0).toArray();

  private static SearchTrace.Auto trace(SearchResult r) {
    assertThat(r.trace()).isInstanceOf(SearchTrace.Auto.class);
    return (SearchTrace.Auto) r.trace();
  }

  @Test
  void samplesThatAllAgreeStopAfterTheProbe() {
    ScriptedProcess p = new ScriptedProcess((random, l) -> "42");
    SearchResult r = Search.auto(DIGIT_SUM).seed(3).run(p); // the default rule: stop when all agree
    assertThat(r.candidates()).hasSize(4).allMatch(c -> c.text().equals("42"));
    SearchTrace.Auto t = trace(r);
    assertThat(t.chosen()).isEqualTo("stop");
    assertThat(t.reason()).isEqualTo("agreement 1.000 >= 1.000");
    assertThat(t.agreement()).isEqualTo(1.0);
    assertThat(t.bestScore()).isEqualTo(6 / 45.0);
    assertThat(t.meanEntropy()).as("this process has no entropy").isNaN();
    assertThat(p.advanceCalls).isEqualTo(2);
    assertThat(p.out).isZero();
  }

  @Test
  void samplesThatDisagreeContinueToBestOfSixteen() {
    ScriptedProcess p = new ScriptedProcess((random, l) -> "a" + (l % 3));
    SearchResult r = Search.auto(DIGIT_SUM).seed(3).run(p);
    SearchTrace.Auto t = trace(r);
    assertThat(t.chosen()).isEqualTo("bon-16");
    assertThat(t.reason()).isEqualTo("no clause matched: otherwise");
    assertThat(t.agreement()).isEqualTo(0.5); // a0 a1 a2 a0
    assertThat(r.candidates()).hasSize(16);
    assertThat(p.advanceCalls).isEqualTo(2 + 2); // the probe, then the 12 more together
    assertThat(p.out).isZero();
  }

  @Test
  void continuedSamplesAreExactlyTheFixedBestOfNs() {
    AutoRule always16 = AutoRule.parse("probe 4\notherwise bon 16\n");
    for (long seed = 0; seed < 5; seed++) {
      SearchResult auto = Search.auto(DIGIT_SUM).rule(always16).seed(seed).run(ScriptedProcess.digits());
      SearchResult fixed = Search.bestOfN(DIGIT_SUM).n(16).seed(seed).run(ScriptedProcess.digits());
      assertThat(texts(auto)).containsExactlyElementsOf(texts(fixed)); // same samples, same ranking
      assertThat(auto.candidates()).extracting(Candidate::score)
          .containsExactlyElementsOf(fixed.candidates().stream().map(Candidate::score).toList());
      assertThat(auto.stats().policyTokens()).isEqualTo(fixed.stats().policyTokens());
    }
    // stopping after the probe keeps exactly the fixed search's first four samples
    SearchResult probeOnly = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 4\notherwise stop")).seed(7)
        .run(ScriptedProcess.digits());
    SearchResult four = Search.bestOfN(DIGIT_SUM).n(4).seed(7).run(ScriptedProcess.digits());
    assertThat(texts(probeOnly)).containsExactlyElementsOf(texts(four));
  }

  @Test
  void aStagedRuleDecidesAgainWhenBestOfNReachesTheNextStage() {
    // over ten seeds, best-of-8's best score; the median as threshold makes both branches happen
    List<Double> best8 = new ArrayList<>();
    for (long seed = 0; seed < 10; seed++) {
      best8.add(Search.bestOfN(DIGIT_SUM).n(8).seed(seed).run(ScriptedProcess.digits()).best().score());
    }
    double threshold = best8.stream().sorted().toList().get(5);
    AutoRule staged = AutoRule.parse("probe 4\notherwise bon 8\nprobe 8\nwhen best_score >= " + threshold
        + " stop\notherwise bon 16\n");
    int stopped = 0;
    for (long seed = 0; seed < 10; seed++) {
      SearchResult auto = Search.auto(DIGIT_SUM).rule(staged).seed(seed).run(ScriptedProcess.digits());
      boolean stop = best8.get((int) seed) >= threshold;
      SearchResult fixed = Search.bestOfN(DIGIT_SUM).n(stop ? 8 : 16).seed(seed).run(ScriptedProcess.digits());
      assertThat(texts(auto)).containsExactlyElementsOf(texts(fixed)); // the fixed search's samples and ranking
      assertThat(auto.stats().policyTokens()).isEqualTo(fixed.stats().policyTokens());
      SearchTrace.Auto t = trace(auto);
      assertThat(t.chosen()).isEqualTo(stop ? "stop" : "bon-16");
      assertThat(t.probeSamples()).as("the features of the last decision").isEqualTo(8);
      assertThat(t.reason()).startsWith("at 4 samples: no clause matched: otherwise; at 8 samples: ")
          .endsWith(stop ? "best_score " + String.format(java.util.Locale.ROOT, "%.4g", best8.get((int) seed))
              + " >= " + String.format(java.util.Locale.ROOT, "%.4g", threshold) : "no clause matched: otherwise");
      stopped += stop ? 1 : 0;
    }
    assertThat(stopped).isBetween(1, 9);
    // a bon choice of another size than the next stage's ends the search there
    SearchResult past = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 4\notherwise bon 12\nprobe 8\n"
        + "otherwise bon 16")).seed(1).run(ScriptedProcess.digits());
    assertThat(past.candidates()).hasSize(12);
    assertThat(trace(past).reason()).isEqualTo("at 4 samples: no clause matched: otherwise");
  }

  @Test
  void theFirstMatchingClauseDecidesOnTheProbesScores() {
    AutoRule rule = AutoRule.parse("""
        probe 4
        # hopeless or already good: stop; otherwise spend
        when best_score < 0.1 stop
        when best_score >= 0.6 stop
        when mean_score < 0.4 bon 8
        otherwise bon 12
        """);
    for (long seed = 0; seed < 20; seed++) {
      SearchResult r = Search.auto(DIGIT_SUM).rule(rule).seed(seed).run(ScriptedProcess.digits());
      SearchTrace.Auto t = trace(r);
      String expected = t.bestScore() < 0.1 || t.bestScore() >= 0.6 ? "stop" : t.meanScore() < 0.4 ? "bon-8" : "bon-12";
      assertThat(t.chosen()).as("seed %d: best %f mean %f", seed, t.bestScore(), t.meanScore()).isEqualTo(expected);
      assertThat(r.candidates()).hasSize(expected.equals("stop") ? 4 : expected.equals("bon-8") ? 8 : 12);
      List<Double> probe = Search.bestOfN(DIGIT_SUM).n(4).seed(seed).run(ScriptedProcess.digits()).candidates()
          .stream().map(Candidate::score).toList();
      assertThat(t.bestScore()).isEqualTo(probe.stream().mapToDouble(d -> d).max().orElseThrow());
      assertThat(t.meanScore()).isCloseTo(probe.stream().mapToDouble(d -> d).average().orElseThrow(), within(1e-12));
    }
  }

  @Test
  void aTokenBudgetCutsTheChosenSizeAndIsNeverPassed() {
    // probe: 4 samples x 5 tokens = 20; 60 tokens leave room for 8 more, not 12
    ScriptedProcess p = ScriptedProcess.digits();
    SearchResult r = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 4\notherwise bon 16"))
        .budget(Budget.tokens(60)).seed(1).run(p);
    SearchTrace.Auto t = trace(r);
    assertThat(t.chosen()).isEqualTo("bon-12");
    assertThat(t.reason()).contains("the token budget leaves room for 8 more samples, not 12");
    assertThat(r.candidates()).hasSize(12);
    assertThat(r.stats().policyTokens()).isEqualTo(60);
    assertThat(r.stopReason()).isEqualTo(StopReason.completed());

    // a budget that cuts the probe itself: the probe's samples as they stand, and the limit as the reason
    SearchResult cut = Search.auto(DIGIT_SUM).budget(Budget.tokens(10)).seed(1).run(ScriptedProcess.digits());
    assertThat(cut.stopReason()).isInstanceOf(StopReason.LimitReached.class);
    assertThat(trace(cut).chosen()).isEqualTo("stop");
    assertThat(trace(cut).reason()).startsWith("the probe was cut");
    assertThat(cut.stats().policyTokens()).isLessThanOrEqualTo(12); // at most one call past the limit
  }

  @Test
  void aDeadlineCutsTheContinuationAndWhatWasDrawnIsScoredAsItStands() {
    AtomicLong now = new AtomicLong();
    ScriptedProcess p = ScriptedProcess.digits();
    p.onAdvance = () -> now.addAndGet(1_000_000); // each step takes 1 ms
    SearchResult r = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 4\notherwise bon 16")).seed(1)
        .budget(Budget.deadlineOf(Duration.ofMillis(7))).clock(now::get).run(p);
    assertThat(r.stopReason()).isInstanceOf(StopReason.LimitReached.class);
    assertThat(((StopReason.LimitReached) r.stopReason()).limit()).isEqualTo(Budget.Limit.WALL_TIME);
    assertThat(trace(r).chosen()).isEqualTo("bon-16");
    assertThat(p.advanceCalls).isEqualTo(7); // the probe's 5, then 2 of the continuation
    assertThat(r.candidates()).hasSize(16).allMatch(c -> !Double.isNaN(c.score()));
    assertThat(r.candidates().stream().filter(Candidate::finished)).hasSize(4);
    assertThat(p.out).isZero();
  }

  @Test
  void aCancelledSearchStopsWithoutScoringAndReleasesEverything() {
    AtomicInteger scorerCalls = new AtomicInteger();
    OutcomeScorer<ScriptedProcess.H> counting = (hs, ctx) -> {
      scorerCalls.incrementAndGet();
      return DIGIT_SUM.score(hs, ctx);
    };
    ScriptedProcess p = ScriptedProcess.digits();
    List<SearchEvent> events = new ArrayList<>();
    var search = Search.auto(counting).rule(AutoRule.parse("probe 4\notherwise bon 16")).seed(1)
        .listener(events::add);
    // cancel from inside the continuation's first step (the probe took 5 advances)
    p.onAdvance = () -> {
      if (p.advanceCalls == 6) {
        Thread.currentThread().interrupt();
      }
    };
    SearchResult r = search.run(p);
    assertThat(Thread.interrupted()).isTrue(); // clear it
    assertThat(r.stopReason()).isInstanceOf(StopReason.Cancelled.class);
    assertThat(scorerCalls.get()).as("the probe's scoring only").isEqualTo(1);
    assertThat(p.out).isZero();
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Done)).hasSize(1);
  }

  @Test
  void aProcessGuidedChoiceRunsTheGivenSearchInTheSameContextWithOneDone() {
    List<SearchEvent> events = new ArrayList<>();
    ScriptedProcess p = ScriptedProcess.digits();
    SearchResult r = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 2\notherwise smc 3")).seed(1)
        .guided(c -> Search.<ScriptedProcess.H>sample().samples(c.n())).listener(events::add).run(p);
    SearchTrace.Auto t = trace(r);
    assertThat(t.chosen()).isEqualTo("smc-3");
    assertThat(t.inner()).isEqualTo(SearchTrace.none());
    assertThat(r.candidates()).hasSize(3 + 2); // the guided search's, then the probe's
    assertThat(r.stats().policyTokens()).isEqualTo(5 * 5);
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Done)).hasSize(1);
    assertThat(p.out).isZero();

    assertThatThrownBy(() -> Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 2\notherwise smc 3"))
        .run(ScriptedProcess.digits())).hasMessageContaining("none was given");
  }

  @Test
  void aProcessScorerGuidesTheParticleFilterOrStepBeamItChooses() {
    // the process score of a partial walk: its digit sum so far, over 45
    ProcessScorer<ScriptedProcess.H> prm = (hs, ctx) -> DIGIT_SUM.score(hs, ctx);
    ScriptedProcess p = ScriptedProcess.digits();
    SearchResult smc = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 2\notherwise smc 4")).processScorer(prm)
        .seed(2).run(p);
    assertThat(trace(smc).chosen()).isEqualTo("smc-4");
    assertThat(smc.candidates()).hasSize(4 + 2);
    assertThat(p.out).isZero();
    assertThat(trace(smc).inner()).isInstanceOf(SearchTrace.Particles.class);
    SearchResult beam = Search.auto(DIGIT_SUM).rule(AutoRule.parse("probe 2\notherwise step-beam 4"))
        .processScorer(prm).seed(2).run(ScriptedProcess.digits());
    assertThat(trace(beam).chosen()).isEqualTo("step-beam-4");
    assertThat(trace(beam).inner()).isInstanceOf(SearchTrace.Tree.class);
  }

  @Test
  void theRuleReadsBackWhatItWritesAndNamesWhatIsWrong() {
    AutoRule rule = AutoRule.parse("probe 3\nwhen agreement >= 0.75 stop\nwhen mean_entropy < 0.5 step-beam 16\n"
        + "otherwise bon 32\n");
    assertThat(AutoRule.parse(rule.toText())).isEqualTo(rule);
    assertThat(rule.needsProcessScorer()).isTrue();
    assertThatThrownBy(() -> AutoRule.parse("probe 4\nwhen best < 0.2 stop\notherwise stop"))
        .hasMessage("auto rule line 2: expected a feature (agreement, best_score, mean_score, mean_entropy),"
            + " found 'best'");
    assertThatThrownBy(() -> AutoRule.parse("probe 4\nwhen best_score <= 0.2 stop\notherwise stop"))
        .hasMessageContaining("line 2: expected 'when FEATURE < NUMBER CHOICE'");
    assertThatThrownBy(() -> AutoRule.parse("probe 4\nwhen best_score < 0.2 bon\notherwise stop"))
        .hasMessage("auto rule line 2: expected 'bon N', found 0 words after 'bon'");
    assertThatThrownBy(() -> AutoRule.parse("probe 4\nwhen best_score < 0.2 more 3\notherwise stop"))
        .hasMessageContaining("expected a choice (stop, bon N, step-beam N, smc N), found 'more'");
    assertThatThrownBy(() -> AutoRule.parse("probe 4\n")).hasMessageContaining("no otherwise line");
    assertThatThrownBy(() -> AutoRule.parse("probe 0\notherwise stop")).hasMessageContaining("probe must be >= 1");
    AutoRule staged = AutoRule.parse("probe 4\notherwise bon 8\n\n# the second stage\nprobe 8\n"
        + "when best_score >= -4.5 stop\notherwise step-beam 16\n");
    assertThat(staged.next().probe()).isEqualTo(8);
    assertThat(staged.needsProcessScorer()).as("a later stage's choice counts").isTrue();
    assertThat(AutoRule.parse(staged.toText())).isEqualTo(staged);
    assertThatThrownBy(() -> AutoRule.parse("probe 8\notherwise bon 16\nprobe 8\notherwise stop"))
        .hasMessage("auto rule line 3: a later stage must decide after more samples than 8 (its probe), was 8");
    assertThatThrownBy(() -> AutoRule.parse("probe 4\notherwise stop\nwhen best_score < 1 stop"))
        .hasMessage("auto rule line 3: expected nothing after 'otherwise' but a next stage's 'probe K', found"
            + " 'when best_score < 1 stop'");
  }

  private static List<String> texts(SearchResult r) {
    return r.candidates().stream().map(Candidate::text).toList();
  }
}
