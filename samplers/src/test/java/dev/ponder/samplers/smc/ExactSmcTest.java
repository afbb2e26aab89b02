package dev.ponder.samplers.smc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.ResampleSchedule;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.apache.commons.math3.analysis.integration.SimpsonIntegrator;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact statistical tests of the particle filter over an analytic Gaussian walk (x_T ~ N(mu, s^2)) with a
 * quadratic reward, whose tilted target N(m_*, v_*) and normalizing constant Z are known in closed form (see
 * {@link QuadraticReward}). Every test uses fixed seeds, so it is deterministic; the tolerances are chosen so that a
 * correct implementation would fail for fewer than 1 in 10^4 seed choices.
 */
class ExactSmcTest {
  // The walk: mu = 0, s = 1 over T = 5 steps; the reward peaks at a = 1 with width s_r = 2.
  static final double MU = 0;
  static final double S = 1;
  static final int T = 5;
  static final double A = 1;
  static final double SR = 2;
  static final QuadraticReward REWARD = new QuadraticReward(A, SR);

  /**
   * The inverse temperature per potential type, as strong as each allows for a sharp 4-sigma test. Every Zhat
   * is unbiased, but its tails differ: the terminal potential exp(lambda r_T - sum of earlier log-potentials) pays
   * back what the intermediate ones took, and for SUM that is exp(lambda sum_t (T - t) |r_t|), heavy-tailed enough
   * at c = lambda / s_r^2 = 1 that the sample standard error is unreliable (z-scores of -6 over 10 seed bases of
   * 400 runs). With these values 640 z-scores (40 seed bases x 16 configurations) stayed within |z| < 3.2.
   */
  static double lambdaFor(Potential p) {
    return switch (p) {
      case DIFFERENCE -> 10; // c = 2.5: target N(0.71, 0.29) from N(0, 1)
      case MAX -> 4;         // c = 1
      case CURRENT -> 1;     // c = 1/4
      case SUM -> 0.25;      // c = 1/16
    };
  }

  /** The filter's settings and the potentials the Feynman-Kac model is built with. */
  record Smc(ParticleFilter.Config filter, Potential potential, double lambda) {}

  static Smc config(int n, Potential potential, double lambda, Resampling scheme, double kappa,
      ResampleSchedule schedule, boolean weightedDraw) {
    return new Smc(new ParticleFilter.Config(n, scheme, kappa, schedule, T, weightedDraw), potential, lambda);
  }

  static SearchResult run(GaussianWalkProcess process, Smc c, long seed, SearchListener listener) {
    return smc(process, new QuadraticReward(A, SR), c, SearchContext.builder().seed(seed).listener(listener).build());
  }

  /** The particle filter over the process's Feynman-Kac model, as the front door runs it. */
  static <S> SearchResult smc(dev.ponder.engine.GenerativeProcess<S> process, dev.ponder.engine.ProcessScorer<S> scorer,
      Smc c, SearchContext ctx) {
    ProcessFeynmanKac<S> model = new ProcessFeynmanKac<>(process, scorer, c.potential(), c.lambda(), null, ctx);
    return RoundDriver.run(new ParticleFilter<>(model, c.filter(), ctx), ctx);
  }

  // ---- the closed forms themselves ----

  @Test
  void closedFormsMatchQuadrature() {
    // Simpson's rule from 2^10 intervals on (a coarser start can "converge" on two equal wrong iterates), refined until
    // two iterates agree to 1e-13 (relative), over mu +- 14 s, beyond which the integrands are < 1e-40.
    SimpsonIntegrator quad = new SimpsonIntegrator(1e-13, 1e-15, 10, 30);
    double[][] cases = {{0, 1, 1, 1, 1}, {0.3, 2, -1, 0.5, 3}, {-1, 0.5, 2, 1.5, 0.25}, {0, 1, 1.5, 1, 4}};
    for (double[] k : cases) {
      double mu = k[0];
      double s = k[1];
      double lambda = k[4];
      QuadraticReward r = new QuadraticReward(k[2], k[3]);
      NormalDistribution p = new NormalDistribution(mu, s);
      DoubleUnaryOperator tilt = x -> p.density(x) * Math.exp(lambda * r.reward(x));
      double lo = mu - 14 * s;
      double hi = mu + 14 * s;
      double z = quad.integrate(1_000_000, tilt::applyAsDouble, lo, hi);
      double m1 = quad.integrate(1_000_000, x -> x * tilt.applyAsDouble(x), lo, hi) / z;
      double m2 = quad.integrate(1_000_000, x -> x * x * tilt.applyAsDouble(x), lo, hi) / z;
      assertThat(r.z(mu, s, lambda)).as("Z for %s", java.util.Arrays.toString(k)).isCloseTo(z, offset(1e-10 * z));
      assertThat(r.tiltedMean(mu, s, lambda)).as("m_*").isCloseTo(m1, offset(1e-9));
      assertThat(r.tiltedVariance(s, lambda)).as("v_*").isCloseTo(m2 - m1 * m1, offset(1e-9));
    }
    // Spot values for mu = 0, s = 1, a = 1, s_r = 1, lambda = 1: v_* = 1/2, m_* = 1/2, Z = sqrt(1/2) exp(-1/4).
    QuadraticReward unit = new QuadraticReward(1, 1);
    assertThat(unit.z(0, 1, 1)).isCloseTo(Math.sqrt(0.5) * Math.exp(-0.25), offset(1e-15));
    assertThat(unit.tiltedMean(0, 1, 1)).isCloseTo(0.5, offset(1e-15));
    assertThat(unit.tiltedVariance(1, 1)).isCloseTo(0.5, offset(1e-15));
  }

  @Test
  void theWalkEndsAtNormalMuS2AndCountsOneModelCallPerStep() {
    // 4000 independent walks in one batch; KS against N(mu, s^2): under the null p < 1e-4 happens 1 time in 10^4.
    GaussianWalkProcess process = new GaussianWalkProcess(0.7, 1.3, T);
    SearchContext ctx = SearchContext.builder().seed(11).build();
    List<GaussianWalkProcess.H> hs = process.start(4000, ctx);
    for (int t = 0; t < T; t++) {
      process.advance(hs, ctx);
    }
    double[] xs = hs.stream().mapToDouble(h -> h.x).toArray();
    assertThat(hs).allMatch(process::isTerminal);
    assertThat(new KolmogorovSmirnovTest().kolmogorovSmirnovTest(new NormalDistribution(0.7, 1.3), xs))
        .isGreaterThan(1e-4);
    assertThat(ctx.counters().modelCalls()).isEqualTo(T);
  }

  // ---- 1. Z is unbiased ----

  static Stream<Arguments> everyPotentialSchemeAndThreshold() {
    List<Arguments> out = new ArrayList<>();
    for (Potential p : Potential.values()) {
      for (Resampling r : Resampling.values()) {
        for (double kappa : new double[] {0.5, 1.0}) {
          out.add(Arguments.of(p, r, kappa, ResampleSchedule.always()));
        }
      }
      out.add(Arguments.of(p, Resampling.SYSTEMATIC, 1.0, ResampleSchedule.every(2).between(1, T - 2)));
    }
    return out.stream();
  }

  /**
   * N = 16 particles, T = 5 steps, R = 400 runs (seeds 1000..1399): mean(Zhat) / Z - 1 within 4 standard errors,
   * the standard error being the sample std of Zhat over runs / sqrt(R); Zhat = exp(logZ). With the lambdas of
   * {@link #lambdaFor} Zhat's tails are light enough that the mean of 400 is close to normal (see there), so a
   * 4-sigma miss has probability ~6e-5. The relative standard errors are 0.2% to 4%: a bias of 5-15% (a lost
   * log Z increment, a terminal potential that does not pay back the earlier ones) lands far outside.
   * After every resampling the event's invariants are checked: N ancestors, sorted, in range, ESS in [1, N] and
   * below kappa N, at a step the schedule allows and before the last one.
   */
  @ParameterizedTest(name = "{0} {1} kappa={2} {3}")
  @MethodSource("everyPotentialSchemeAndThreshold")
  void zIsUnbiased(Potential potential, Resampling scheme, double kappa, ResampleSchedule schedule) {
    int n = 16;
    int runs = 400;
    double lambda = lambdaFor(potential);
    double z = REWARD.z(MU, S, lambda);
    Smc c = config(n, potential, lambda, scheme, kappa, schedule, false);
    double sum = 0;
    double sumSq = 0;
    int[] resamples = new int[1];
    for (int i = 0; i < runs; i++) {
      SearchListener checks = e -> {
        if (e instanceof SearchEvent.Resample rs) {
          checkResampleInvariants(rs, n, kappa, schedule);
          resamples[0]++;
        }
      };
      double zHat = Math.exp(run(new GaussianWalkProcess(MU, S, T), c, 1000 + i, checks).logZ());
      sum += zHat;
      sumSq += zHat * zHat;
    }
    double mean = sum / runs;
    double sd = Math.sqrt((sumSq - runs * mean * mean) / (runs - 1));
    double se = sd / Math.sqrt(runs);
    assertThat(mean / z - 1).as("relative bias of Zhat (Z = %s, se/Z = %s)", z, se / z)
        .isBetween(-4 * se / z, 4 * se / z);
    if (kappa == 1.0) {
      assertThat(resamples[0]).as("resampling happened").isPositive();
    }
  }

  static void checkResampleInvariants(SearchEvent.Resample rs, int n, double kappa, ResampleSchedule schedule) {
    List<Integer> anc = rs.ancestors();
    assertThat(anc).hasSize(n).isSorted().allSatisfy(a -> assertThat(a).isBetween(0, n - 1));
    assertThat(rs.ess()).isBetween(1.0, (double) n).isLessThan(kappa * n);
    assertThat(schedule.allows(rs.step())).as("step %d allowed by %s", rs.step(), schedule).isTrue();
    assertThat(rs.step()).as("no resampling after the last step").isLessThan(T - 1);
  }

  @ParameterizedTest
  @EnumSource(Potential.class)
  void resamplesExactlyWhereTheScheduleAllows(Potential potential) {
    // kappa = 1 and lambda > 0: ESS < N almost surely at every step, so the events fall on every allowed step
    // before the last: 0..T-2 for always(), {1, 3} for every(2).between(1, 3).
    for (ResampleSchedule schedule : List.of(ResampleSchedule.always(), ResampleSchedule.every(2).between(1, T - 2))) {
      for (Resampling scheme : Resampling.values()) {
        List<Integer> steps = new ArrayList<>();
        run(new GaussianWalkProcess(MU, S, T), config(8, potential, lambdaFor(potential), scheme, 1.0, schedule, false), 3,
            e -> {
              if (e instanceof SearchEvent.Resample rs) {
                checkResampleInvariants(rs, 8, 1.0, schedule);
                steps.add(rs.step());
              }
            });
        assertThat(steps).as("%s %s", schedule, scheme)
            .containsExactlyElementsOf(schedule == ResampleSchedule.always() ? List.of(0, 1, 2, 3) : List.of(1, 3));
      }
    }
  }

  @Test
  void logZIsExactlyZeroWithLambdaZero() {
    for (Potential p : Potential.values()) {
      for (Resampling r : Resampling.values()) {
        for (int n : new int[] {1, 10, 16}) {
          SearchResult res = run(new GaussianWalkProcess(MU, S, T), config(n, p, 0, r, 1.0, ResampleSchedule.always(),
              false), 5, SearchListener.none());
          assertThat(res.logZ()).as("%s %s N=%d", p, r, n).isEqualTo(0.0);
        }
      }
    }
  }

  // ---- 2. weighted draws follow the tilted target ----

  /** KS distance of {@code draws} single weighted draws (one per filter of n particles) from N(m_*, v_*). */
  static double[] weightedDrawsKs(int n, int draws, double a, double lambda, long seedBase) {
    QuadraticReward r = new QuadraticReward(a, 1);
    NormalDistribution target = new NormalDistribution(r.tiltedMean(MU, S, lambda), Math.sqrt(r.tiltedVariance(S, lambda)));
    Smc c = config(n, Potential.DIFFERENCE, lambda, Resampling.SYSTEMATIC, 0.5,
        ResampleSchedule.always(), true);
    double[] xs = new double[draws];
    for (int i = 0; i < draws; i++) {
      GaussianWalkProcess process = new GaussianWalkProcess(MU, S, T);
      SearchResult res = smc(process, r, c, SearchContext.builder().seed(seedBase + i).build());
      Candidate drawn = res.best();
      xs[i] = process.x(drawn);
      assertThat(drawn.sample()[0]).isEqualTo((float) xs[i]);
    }
    KolmogorovSmirnovTest ks = new KolmogorovSmirnovTest();
    return new double[] {ks.kolmogorovSmirnovStatistic(target, xs), ks.kolmogorovSmirnovTest(target, xs)};
  }

  /**
   * 3000 filters each for N = 64 and N = 2 (T = 5, difference potentials, systematic resampling at kappa 0.5), one
   * weighted draw each, lambda = 2, a = 1.5, s_r = 1: target N(1, 1/3) from the prior N(0, 1). With 64 particles
   * the draw's law is within O(1/N) of the target, below the KS resolution at 3000 draws (the p = 1e-4 critical
   * distance is sqrt(ln(2e4) / 2) / sqrt(3000) = 0.041; observed distance 0.013, p = 0.69; with 20000 draws
   * the distance is 0.0069, p = 0.30: no bias visible at all). With 2 particles the draw is a
   * self-normalized pick between two prior samples, far short of the target: observed distance 0.32.
   */
  @Test
  void weightedDrawsFollowTheTiltedTargetAndImproveWithN() {
    double[] many = weightedDrawsKs(64, 3000, 1.5, 2, 50_000);
    double[] two = weightedDrawsKs(2, 3000, 1.5, 2, 90_000);
    double critical = Math.sqrt(Math.log(2e4) / 2) / Math.sqrt(3000);
    assertThat(many[1]).as("KS p-value at N=64 (distance %s)", many[0]).isGreaterThan(1e-4);
    assertThat(two[0]).as("KS distance at N=2").isGreaterThan(2.5 * critical).isGreaterThan(3 * many[0]);
  }

  // ---- 5. same seed, any batch size ----

  @ParameterizedTest
  @EnumSource(Resampling.class)
  void sameSeedGivesTheSameResultWhateverTheBatchSize(Resampling scheme) {
    int n = 16;
    for (boolean weightedDraw : new boolean[] {false, true}) {
      Smc c = config(n, Potential.DIFFERENCE, 2, scheme, 1.0, ResampleSchedule.always(), weightedDraw);
      GaussianWalkProcess whole = new GaussianWalkProcess(MU, S, T);
      SearchResult expected = run(whole, c, 77, SearchListener.none());
      assertThat(expected.stats().modelCalls()).isEqualTo(T);
      for (int maxBatch : new int[] {1, 3}) {
        GaussianWalkProcess chunked = new GaussianWalkProcess(MU, S, T, maxBatch);
        SearchResult got = run(chunked, c, 77, SearchListener.none());
        assertThat(got.candidates()).as("maxBatch %d", maxBatch).isEqualTo(expected.candidates());
        assertThat(Double.doubleToRawLongBits(got.logZ())).isEqualTo(Double.doubleToRawLongBits(expected.logZ()));
        for (int i = 0; i < n; i++) {
          assertThat(chunked.x(got.candidates().get(i))).isEqualTo(whole.x(expected.candidates().get(i)));
        }
        assertThat(got.stats().modelCalls()).isEqualTo((long) T * ((n + maxBatch - 1) / maxBatch));
        assertThat(chunked.live).as("every hypothesis released").isZero();
      }
      assertThat(whole.live).isZero();
    }
  }
}
