package dev.ponder.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult.StopReason;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BudgetAndStreamsTest {

  @Test
  void budgetNamesTheLimitThatWasReached() {
    AtomicLong now = new AtomicLong();
    SearchContext ctx = SearchContext.builder()
        .budget(Budget.tokens(100).withModelCalls(5).withDeadline(Duration.ofMillis(20)))
        .nanoClock(now::get).build();
    assertThat(ctx.stopReason()).isNull();
    ctx.counters().addModelCalls(5);
    assertThat(ctx.budgetExceededBy()).isEqualTo(new StopReason.LimitReached(Budget.Limit.MODEL_CALLS, 5, 5));
    assertThat(ctx.budgetExceededBy().describe()).isEqualTo("model calls 5 >= 5");
    assertThat(ctx.stopReason().outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);

    SearchContext timed = SearchContext.builder().budget(Budget.deadlineOf(Duration.ofMillis(20))).nanoClock(now::get).build();
    now.addAndGet(Duration.ofMillis(25).toNanos());
    assertThat(timed.budgetExceededBy().describe()).isEqualTo("wall time 25 ms >= 20 ms");
    assertThat(timed.budgetExceededBy().limit()).isEqualTo(Budget.Limit.WALL_TIME);
    timed.cancel();
    assertThat(timed.stopReason()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.CALLER));
  }

  @Test
  void anInterruptOfTheSearchingThreadCancels() {
    SearchContext ctx = SearchContext.builder().build();
    assertThat(ctx.stopReason()).isNull();
    Thread.currentThread().interrupt();
    try {
      assertThat(ctx.stopReason()).isEqualTo(new StopReason.Cancelled(StopReason.Cancelled.By.INTERRUPT));
      assertThat(Thread.currentThread().isInterrupted()).as("the flag is left for the caller").isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(ctx.stopReason()).isNull();
  }

  @Test
  void budgetRejectsNonsense() {
    assertThatThrownBy(() -> Budget.tokens(0)).hasMessageContaining("policyTokens must be positive, was 0");
    assertThatThrownBy(() -> Budget.unlimited().withDeadline(Duration.ZERO)).hasMessageContaining("deadline must be positive");
  }

  @Test
  void streamsArePureFunctionsOfTheirKey() {
    RandomStreams a = new RandomStreams(7);
    RandomStreams b = new RandomStreams(7);
    assertThat(a.uniform(3, 4, RandomStreams.Purpose.TOKEN, 0)).isEqualTo(b.uniform(3, 4, RandomStreams.Purpose.TOKEN, 0));
    Set<Double> distinct = new HashSet<>();
    distinct.add(a.uniform(3, 4, RandomStreams.Purpose.TOKEN, 0));
    distinct.add(a.uniform(3, 4, RandomStreams.Purpose.RESAMPLE, 0));
    distinct.add(a.uniform(3, 5, RandomStreams.Purpose.TOKEN, 0));
    distinct.add(a.uniform(2, 4, RandomStreams.Purpose.TOKEN, 0));
    distinct.add(new RandomStreams(8).uniform(3, 4, RandomStreams.Purpose.TOKEN, 0));
    assertThat(distinct).hasSize(5);
  }

  @Test
  void streamIsUniformEnough() {
    RandomStreams r = new RandomStreams(1);
    int n = 100_000;
    int[] bins = new int[10];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      double u = r.uniform(i, 0, RandomStreams.Purpose.TOKEN, 0);
      assertThat(u).isGreaterThanOrEqualTo(0).isLessThan(1);
      bins[(int) (u * 10)]++;
      sum += u;
    }
    double chi2 = 0;
    for (int c : bins) {
      chi2 += Math.pow(c - n / 10.0, 2) / (n / 10.0);
    }
    assertThat(chi2).as("chi-square, 9 degrees of freedom; 27.9 is the 0.999 quantile").isLessThan(27.9);
    assertThat(sum / n).isBetween(0.495, 0.505);
  }

  @Test
  void gaussianDrawsAreStandardNormalAndPure() {
    RandomStreams r = new RandomStreams(3);
    int n = 200_000;
    double sum = 0;
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      double z = r.gaussian(i % 97, i / 97, RandomStreams.Purpose.NOISE, i % 5);
      sum += z;
      sumSq += z * z;
    }
    double mean = sum / n;
    double variance = sumSq / n - mean * mean;
    // standard errors: 1/sqrt(n) for the mean, sqrt(2/n) for the variance of a standard normal
    assertThat(Math.abs(mean)).as("mean").isLessThan(4 / Math.sqrt(n));
    assertThat(Math.abs(variance - 1)).as("variance").isLessThan(4 * Math.sqrt(2.0 / n));
    assertThat(r.gaussian(5, 6, RandomStreams.Purpose.NOISE, 7))
        .isEqualTo(new RandomStreams(3).gaussian(5, 6, RandomStreams.Purpose.NOISE, 7))
        .isNotEqualTo(r.gaussian(5, 6, RandomStreams.Purpose.NOISE, 8))
        .isNotEqualTo(new RandomStreams(4).gaussian(5, 6, RandomStreams.Purpose.NOISE, 7));
    double tail = 0;
    for (int i = 0; i < n; i++) {
      tail += Math.abs(r.gaussian(1, 2, RandomStreams.Purpose.NOISE, i)) > 1.959964 ? 1 : 0;
    }
    assertThat(tail / n).as("P(|z| > 1.96) = 0.05").isBetween(0.05 - 4 * Math.sqrt(0.05 * 0.95 / n),
        0.05 + 4 * Math.sqrt(0.05 * 0.95 / n));
  }
}
