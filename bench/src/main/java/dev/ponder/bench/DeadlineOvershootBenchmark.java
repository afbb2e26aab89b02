package dev.ponder.bench;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.Search;
import dev.ponder.verifiers.Verifiers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Deadline overshoot: the wall time of a search given a {@link #deadlineMs} deadline it cannot meet; the overshoot
 * is the sampled time minus the deadline (p50, p99 from sample mode). {@code bon-16}, {@code smc-16} and
 * {@code step-beam-16} are the Countdown searches of {@link CountdownSearches}; {@code slow-verifier} is best-of-16
 * scored by a per-text function verifier that sleeps 30 ms per text (a stand-in for a remote or heavy checker),
 * which stops between texts once the deadline has passed. Every search must end on the deadline
 * ({@code LimitReached(WALL_TIME)}), or the benchmark fails.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class DeadlineOvershootBenchmark {
  static final long SLOW_TEXT_MS = 30;

  @Param({"bon-16", "smc-16", "step-beam-16", "slow-verifier"})
  public String algorithm;

  @Param("20")
  public int deadlineMs;

  private CountdownSearches searches;
  private long seed;

  @Setup(Level.Trial)
  public void load() {
    searches = new CountdownSearches();
  }

  @Benchmark
  public SearchResult searchUnderDeadline() {
    Budget budget = Budget.deadlineOf(Duration.ofMillis(deadlineMs));
    SearchResult r;
    if (algorithm.equals("slow-verifier")) {
      r = Search.bestOfN(searches.policy, Verifiers.ofText("slow", t -> {
        sleep(SLOW_TEXT_MS);
        return t.length();
      }).asOutcomeScorer()).n(16).seed(++seed).budget(budget).run(CountdownSearches.PROMPT);
    } else {
      String[] parts = algorithm.split("-(?=\\d+$)");
      r = searches.builder(parts[0], Integer.parseInt(parts[1]), ++seed).budget(budget).run(CountdownSearches.PROMPT);
    }
    if (!(r.stopReason() instanceof StopReason.LimitReached l && l.limit() == Budget.Limit.WALL_TIME)) {
      throw new IllegalStateException(algorithm + " ended " + r.stopReason() + ", not on its " + deadlineMs
          + " ms deadline; lower deadlineMs");
    }
    return r;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    searches.close();
  }
}
