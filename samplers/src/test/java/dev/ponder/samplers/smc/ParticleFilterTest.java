package dev.ponder.samplers.smc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ParticleFilterTest {
  private static LanguageModel lm;
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> hs.stream()
      .mapToDouble(h -> h.text().chars().filter(Character::isDigit).count() / (1.0 + h.text().length())).toArray();
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24).withBoundary(StepBoundary.stopAt(6, " "));

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  @Test
  void anOutcomeScorerRanksTheFinalParticlesWithTheSameRun() {
    // the outcome here prefers short texts: a ranking the process reward (digit share) does not give
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    OutcomeScorer<LmHypothesis> shortest = (hs, ctx) -> {
      calls.incrementAndGet();
      return hs.stream().mapToDouble(h -> -h.text().length()).toArray();
    };
    List<SearchEvent> events = new ArrayList<>();
    SearchResult byReward = Search.particleFilter(lm, DIGITS).particles(6).maxSteps(8).decoding(STEPS).seed(4)
        .run("12 + ");
    SearchResult byOutcome = Search.particleFilter(lm, DIGITS).particles(6).maxSteps(8).decoding(STEPS).seed(4)
        .outcomeScorer(shortest).listener(events::add).run("12 + ");
    // the same particles (the outcome scorer only ranks at the end), now best first by the outcome score
    assertThat(byOutcome.candidates()).extracting(c -> c.text()).containsExactlyInAnyOrderElementsOf(
        byReward.candidates().stream().map(c -> c.text()).toList());
    assertThat(byOutcome.candidates()).extracting(c -> c.score())
        .isSortedAccordingTo(java.util.Comparator.reverseOrder())
        .containsExactlyElementsOf(byOutcome.candidates().stream().map(c -> -(double) c.text().length()).toList());
    assertThat(calls.get()).as("one call, at the end").isEqualTo(1);
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Score sc && sc.scorer().equals("outcome")))
        .hasSize(6);
  }

  @ParameterizedTest
  @EnumSource(Potential.class)
  void everyPotentialTypeRunsWithAncestryAndNoReprefill(Potential potential) {
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = Search.particleFilter(lm, DIGITS).particles(6).potential(potential, 5).maxSteps(8)
        .decoding(STEPS).seed(4).listener(events::add).run("12 + ");
    assertThat(r.candidates()).hasSize(6);
    // log Z = Σ over resampling steps of log(mean weight) + log(mean final weight), from the recorded generations
    List<SearchTrace.Particles.Generation> gens = ((SearchTrace.Particles) r.trace()).generations();
    double logZ = 0;
    for (SearchTrace.Particles.Generation g : gens) {
      if (g.resampled() || g == gens.get(gens.size() - 1)) {
        double max = g.logWeights().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double mean = g.logWeights().stream().mapToDouble(w -> Math.exp(w - max)).average().orElseThrow();
        logZ += max + Math.log(mean);
      }
    }
    assertThat(r.logZ()).isCloseTo(logZ, org.assertj.core.data.Offset.offset(1e-9));
    List<SearchEvent.Resample> resamples = events.stream().filter(e -> e instanceof SearchEvent.Resample)
        .map(e -> (SearchEvent.Resample) e).toList();
    assertThat(resamples).isNotEmpty().allSatisfy(e -> {
      assertThat(e.ancestors()).hasSize(6).allSatisfy(a -> assertThat(a).isBetween(0, 5));
      assertThat(e.ess()).isBetween(1.0 - 1e-9, 6.0 + 1e-9);
    });
    long finishes = events.stream().filter(e -> e instanceof SearchEvent.Finish).count();
    assertThat(r.stats().policyTokens()).isEqualTo(r.stats().promptTokens() + r.stats().generatedTokens() - finishes);
  }

  @Test
  void potentialsMultiplyToTheTerminalTilt() {
    double[] rewards = {0.2, 0.7, 0.4};
    for (Potential p : Potential.values()) {
      double sum = 0;
      for (int t = 1; t <= 2; t++) {
        sum += p.logPotential(3.0, rewards, t);
      }
      double terminal = Potential.terminalLogPotential(3.0, rewards[2], sum);
      assertThat(sum + terminal).as(p.name()).isCloseTo(3.0 * 0.4, offset(1e-12));
    }
    assertThat(Potential.DIFFERENCE.logPotential(2.0, rewards, 2)).isCloseTo(2.0 * 0.5, offset(1e-12));
    assertThat(Potential.MAX.logPotential(2.0, rewards, 3)).isCloseTo(1.4, offset(1e-12));
    assertThat(Potential.SUM.logPotential(2.0, rewards, 3)).isCloseTo(2.6, offset(1e-12));
    assertThat(Potential.CURRENT.logPotential(2.0, rewards, 3)).isCloseTo(0.8, offset(1e-12));
  }

  @Test
  void withZeroLambdaWeightsStayEqualAndLogZIsZero() {
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = Search.particleFilter(lm, DIGITS).particles(4).potential(Potential.CURRENT, 0).essThreshold(0.5)
        .maxSteps(6).decoding(STEPS).seed(8).listener(events::add).run("7 *");
    // lambda = 0: every weight equal, ESS = N, never below kappa N, so never resampled; Z = 1 exactly.
    assertThat(events).noneMatch(e -> e instanceof SearchEvent.Resample);
    assertThat(r.logZ()).isCloseTo(0.0, offset(1e-12));
  }
}
