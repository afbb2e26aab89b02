package dev.ponder.samplers.smc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.Budget;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.Latent;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.ResampleSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Feynman-Kac steering and noise best-of-N on the digits denoiser, with an analytic reward (no classifier). */
class FeynmanKacTest {
  private static DiffusionModel denoiser;
  private static final DiffusionSampling TEN_STEPS = DiffusionSampling.ddim(10, 1.0);

  /** Brightness of the top half minus the bottom half of the x0 prediction: a reward the base rarely maximizes. */
  static double topHeavy(float[] x) {
    double top = 0;
    double bottom = 0;
    for (int p = 0; p < 64; p++) {
      if (p < 32) {
        top += x[p];
      } else {
        bottom += x[p];
      }
    }
    return (top - bottom) / 32;
  }

  private static final ProcessScorer<Latent> TOP_HEAVY = (hs, ctx) -> hs.stream()
      .mapToDouble(h -> topHeavy(h.isTerminal() || h.x0Prediction() == null ? h.sample() : h.x0Prediction()))
      .toArray();

  @BeforeAll
  static void load() {
    denoiser = DiffusionModel.load(Zoo.model("digits/denoiser"));
  }

  @AfterAll
  static void close() {
    denoiser.close();
  }

  @Test
  void steeringShiftsTheWholePopulationTowardTheReward() {
    // The mean final reward over all particles: lambda 0 leaves the base distribution (weights stay equal, no
    // resampling), lambda 20 tilts it. The best particle alone would not show steering: it is also a best-of-8.
    double steered = 0;
    double base = 0;
    int runs = 4;
    for (int seed = 0; seed < runs; seed++) {
      steered += populationMean(Search.feynmanKac(denoiser, TOP_HEAVY).particles(8).potential(Potential.DIFFERENCE, 20)
          .sampling(TEN_STEPS).seed(seed).run());
      base += populationMean(Search.feynmanKac(denoiser, TOP_HEAVY).particles(8).potential(Potential.DIFFERENCE, 0)
          .sampling(TEN_STEPS).seed(seed).run());
    }
    assertThat(steered / runs).as("steered %s, base %s", steered / runs, base / runs).isGreaterThan(base / runs + 0.2);
  }

  private static double populationMean(SearchResult r) {
    return r.candidates().stream().mapToDouble(c -> topHeavy(c.sample())).average().orElseThrow();
  }

  @Test
  void oneDenoiserCallAndOneRewardCallPerStepWithValidResampleEvents() {
    AtomicInteger rewardCalls = new AtomicInteger();
    ProcessScorer<Latent> counted = (hs, ctx) -> {
      rewardCalls.incrementAndGet();
      assertThat(hs).hasSize(8);
      return TOP_HEAVY.score(hs, ctx);
    };
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = Search.feynmanKac(denoiser, counted).particles(8).potential(Potential.MAX, 10)
        .sampling(TEN_STEPS).seed(3).listener(events::add).run();
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(r.stats().modelCalls()).isEqualTo(10);
    assertThat(r.stats().policyTokens()).isEqualTo(80);
    assertThat(rewardCalls.get()).isEqualTo(10);
    assertThat(r.candidates()).hasSize(8).allSatisfy(c -> {
      assertThat(c.finished()).isTrue();
      assertThat(c.sample()).hasSize(64);
    });
    assertThat(r.logZ()).isFinite();
    List<SearchEvent.Resample> resamples = events.stream().filter(e -> e instanceof SearchEvent.Resample)
        .map(e -> (SearchEvent.Resample) e).toList();
    assertThat(resamples).isNotEmpty().allSatisfy(e -> {
      assertThat(e.ess()).isBetween(1.0 - 1e-9, 8.0 + 1e-9);
      assertThat(e.ancestors()).hasSize(8).isSorted().allSatisfy(a -> assertThat(a).isBetween(0, 7));
    });
  }

  @Test
  void theScheduleLimitsWhenResamplingHappens() {
    List<SearchEvent> events = new ArrayList<>();
    Search.feynmanKac(denoiser, TOP_HEAVY).particles(6).potential(Potential.CURRENT, 30)
        .resampleSchedule(ResampleSchedule.every(3).between(2, 8)).sampling(TEN_STEPS).seed(5)
        .listener(events::add).run();
    List<Integer> steps = events.stream().filter(e -> e instanceof SearchEvent.Resample)
        .map(e -> ((SearchEvent.Resample) e).step()).toList();
    // CURRENT potentials at lambda 30 make unequal weights at every step, so every allowed step resamples.
    assertThat(steps).containsExactly(2, 5, 8);
  }

  @Test
  void theSameSeedGivesTheSameSamplesAndAnotherSeedDoesNot() {
    ParticleFilterSearch<Latent> search = Search.feynmanKac(denoiser, TOP_HEAVY).particles(5).sampling(TEN_STEPS);
    Candidate a = search.seed(11).run().best();
    Candidate b = search.seed(11).run().best();
    Candidate c = search.seed(12).run().best();
    assertThat(b).isEqualTo(a);
    assertThat(c.sample()).isNotEqualTo(a.sample());
  }

  @Test
  void aBudgetStopsPartWayWithUnfinishedSamples() {
    SearchResult r = Search.feynmanKac(denoiser, TOP_HEAVY).particles(4).sampling(TEN_STEPS)
        .budget(Budget.modelCalls(4)).seed(1).run();
    assertThat(r.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(r.stopReason().describe()).isEqualTo("model calls 4 >= 4");
    assertThat(r.candidates()).hasSize(4).allSatisfy(c -> assertThat(c.finished()).isFalse());
  }

  @Test
  void aDeterministicSamplerIsRejected() {
    assertThatThrownBy(() -> Search.feynmanKac(denoiser, TOP_HEAVY).sampling(DiffusionSampling.ddim(10, 0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stochastic sampler")
        .hasMessageContaining("eta > 0");
  }

  @Test
  void bestOfNRanksByTheOutcomeScoreAndCostsOneCallPerStep() {
    AtomicInteger scored = new AtomicInteger();
    SearchResult r = Search.noiseBestOfN(denoiser, (hs, ctx) -> {
      scored.addAndGet(hs.size());
      return TOP_HEAVY.score(hs, ctx);
    }).samples(6).sampling(DiffusionSampling.ddim(10, 0)).seed(2).run();
    assertThat(r.candidates()).hasSize(6);
    assertThat(r.candidates().stream().mapToDouble(Candidate::score).toArray()).isSortedAccordingTo((x, y) -> Double.compare(y, x));
    assertThat(r.best().score()).isEqualTo(topHeavy(r.best().sample()), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(r.stats().modelCalls()).isEqualTo(10);
    assertThat(scored.get()).isEqualTo(6);
  }

  @Test
  void pruningKeepsTheBestPartWayAndFinishesOnlyThose() {
    List<SearchEvent> events = new ArrayList<>();
    List<Double> pruneScores = new ArrayList<>();
    ProcessScorer<Latent> recording = (hs, ctx) -> {
      double[] s = TOP_HEAVY.score(hs, ctx);
      for (double v : s) {
        pruneScores.add(v);
      }
      return s;
    };
    SearchResult r = Search.noiseBestOfN(denoiser, TOP_HEAVY::score).samples(6).prune(2, 2, recording)
        .sampling(DiffusionSampling.ddim(10, 0)).seed(2).listener(events::add).run();
    assertThat(r.candidates()).hasSize(2);
    assertThat(events.stream().filter(e -> e instanceof SearchEvent.Prune)).hasSize(4);
    // 6 rows for steps 0..2, then 2 rows for the 7 steps left.
    assertThat(r.stats().policyTokens()).isEqualTo(6 * 3 + 2 * 7);
    assertThat(r.stats().modelCalls()).isEqualTo(10);
    // The survivors are the two the pruning scorer rated highest.
    List<Double> sorted = new ArrayList<>(pruneScores);
    sorted.sort(java.util.Comparator.reverseOrder());
    List<Double> kept = events.stream().filter(e -> e instanceof SearchEvent.Score s && s.scorer().equals("prune"))
        .map(e -> ((SearchEvent.Score) e).score()).filter(s -> s >= sorted.get(1)).toList();
    assertThat(kept).hasSize(2);
    assertThatThrownBy(() -> Search.noiseBestOfN(denoiser, TOP_HEAVY::score).samples(4).prune(2, 4, TOP_HEAVY)
        .sampling(DiffusionSampling.ddim(10, 0)).run()).hasMessageContaining("keep must be < samples (4)");
    assertThatThrownBy(() -> Search.noiseBestOfN(denoiser, TOP_HEAVY::score).samples(4).prune(9, 2, TOP_HEAVY)
        .sampling(DiffusionSampling.ddim(10, 0)).run()).hasMessageContaining("before the last denoising step (9)");
  }

  @Test
  void unsteeredSamplesAreDistinctAndUnscored() {
    SearchResult r = Search.diffusionSample(denoiser).samples(3).sampling(DiffusionSampling.ddim(10, 0)).seed(4).run();
    assertThat(r.candidates()).hasSize(3).allSatisfy(c -> assertThat(c.score()).isNaN());
    assertThat(r.candidates().get(0).sample()).isNotEqualTo(r.candidates().get(1).sample());
  }
}
