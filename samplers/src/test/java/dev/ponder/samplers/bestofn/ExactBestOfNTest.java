package dev.ponder.samplers.bestofn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.commons.math3.distribution.UniformRealDistribution;
import org.apache.commons.math3.stat.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Best-of-N against order statistics: each of N one-step hypotheses carries a U(0, 1) draw (keyed by its lineage),
 * the outcome scorer returns it, so the argmax score is the maximum of N uniforms: E[max] = N / (N + 1),
 * Var[max] = N / ((N + 1)^2 (N + 2)), and P(max <= x) = x^N, so max^N is again U(0, 1).
 */
class ExactBestOfNTest {

  /** A hypothesis: one uniform, drawn on its single step. */
  static final class U {
    final long lineage;
    double u = Double.NaN;
    boolean done;

    U(long lineage) {
      this.lineage = lineage;
    }
  }

  /** One step per hypothesis; the sample holds (u, lineage) so that no two candidates share an output key. */
  static final class UniformProcess implements GenerativeProcess<U> {
    int advances;

    @Override
    public List<U> start(int n, SearchContext ctx) {
      List<U> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        out.add(new U(i));
      }
      return out;
    }

    @Override
    public List<U> advance(List<U> live, SearchContext ctx) {
      advances++;
      ctx.counters().addModelCalls(1);
      for (U h : live) {
        h.u = ctx.random().uniform(h.lineage, 0, RandomStreams.Purpose.NOISE, 0);
        h.done = true;
      }
      return live;
    }

    @Override
    public U fork(U parent, SearchContext ctx) {
      throw new UnsupportedOperationException("best-of-N never forks");
    }

    @Override
    public boolean isTerminal(U h) {
      return h.done;
    }

    @Override
    public long lineage(U h) {
      return h.lineage;
    }

    @Override
    public Candidate toCandidate(U h, double score) {
      return Candidate.ofSample(new float[] {(float) h.u, h.lineage}, score, 1, h.done);
    }

    @Override
    public void release(U h) {
    }

    @Override
    public void close() {
    }
  }

  /**
   * R = 4000 runs per N (seeds 0..3999). The mean of the selected score is within 4 of its exact standard errors
   * sqrt(Var[max] / R) of N / (N + 1) (bounded draws, so the mean of 4000 is normal to high accuracy: a miss has
   * probability 6e-5), and max^N passes a KS test against U(0, 1) at p > 1e-4. Every run scores all N once in one
   * batch, and the candidates come back sorted by score.
   */
  @ParameterizedTest(name = "N={0}")
  @ValueSource(ints = {1, 4, 16, 64})
  void argmaxIsTheMaximumOfNUniforms(int n) {
    int runs = 4000;
    double[] maxToTheN = new double[runs];
    double sum = 0;
    for (int r = 0; r < runs; r++) {
      UniformProcess process = new UniformProcess();
      List<Integer> batches = new ArrayList<>();
      OutcomeScorer<U> scorer = (hs, ctx) -> {
        batches.add(hs.size());
        return hs.stream().mapToDouble(h -> h.u).toArray();
      };
      SearchResult res = BestOfN.run(process, n, scorer, Selection.argmax(), Function.identity(),
          SearchContext.builder().seed(r).build());
      double best = res.best().score();
      assertThat(batches).containsExactly(n);
      assertThat(process.advances).isEqualTo(1);
      assertThat(res.candidates()).hasSize(n).extracting(Candidate::score).isSortedAccordingTo((a, b) -> Double.compare(b, a));
      assertThat((float) best).isEqualTo(res.best().sample()[0]);
      sum += best;
      maxToTheN[r] = Math.pow(best, n);
    }
    double mean = sum / runs;
    double expected = n / (n + 1.0);
    double se = Math.sqrt(n / ((n + 1.0) * (n + 1.0) * (n + 2.0)) / runs);
    assertThat(mean).as("mean best of %d (se %s)", n, se).isBetween(expected - 4 * se, expected + 4 * se);
    double p = new KolmogorovSmirnovTest().kolmogorovSmirnovTest(new UniformRealDistribution(0, 1), maxToTheN);
    assertThat(p).as("KS p-value of max^N against U(0, 1)").isGreaterThan(1e-4);
  }
}
