package dev.ponder.bench;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
 * The latency of one whole search, per algorithm, at a fixed budget: the Countdown prompt
 * {@code "numbers: 3 7 25 50 target: 85\n"} for the language-model algorithms (configured as in
 * {@link CountdownSearches}), a digit of class {@link #TARGET} for the diffusion ones ({@link DigitsSearches}).
 *
 * <p>{@code algorithm} is {@code name-budget}: {@code bon-N} (best-of-N, ORM), {@code step-beam-N} (N beams,
 * M = 4), {@code dvts-N}, {@code smc-N} (N particles), {@code mcts-N} (N simulations), {@code fk-N} (Feynman-Kac,
 * N particles, DDIM 50, eta 1, classifier on the x0 prediction), {@code reno-N} (N iterations of ReNO),
 * {@code zo-N} (N rounds of zero-order search) and {@code digits-bon-N} (best-of-N over DDIM noise).
 *
 * <p>Fixed seed, so fixed work: the first search (in setup) records its counters (every {@link SearchStats} field
 * but the wall time) and its best candidate; every measured search must reproduce both exactly, or the benchmark
 * fails. The check is a few comparisons after a search of milliseconds. Logged at the end: {@code [algorithm] ...}
 * with the counters of one search, and {@code [algorithm] cpu-time ...}: the thread CPU time per search (warm-up
 * included), which leaves out waiting for a core (with one intra-op thread ONNX Runtime runs on this thread).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 4)
public class AlgorithmLatencyBenchmark {
  /** The digit class the diffusion searches steer toward. */
  static final int TARGET = 3;
  static final long SEED = 7;

  @Param({"bon-4", "bon-16", "bon-64", "step-beam-16", "dvts-16", "smc-16", "mcts-16", "fk-8", "reno-50"})
  public String algorithm;

  /**
   * For the PRM-guided algorithms: {@code fresh} loads a new PRM before every search (not timed), so that each
   * search pays for all of its PRM work, as a first search of a prompt does; {@code warm} keeps one PRM, whose
   * step-prefix state from earlier searches of the same prompt then answers most of the PRM's work (the expected
   * work is then taken from the second search).
   */
  @Param("fresh")
  public String prmState;

  private AutoCloseable models;
  private CountdownSearches countdown;
  private String name;
  private int budget;
  private Supplier<SearchResult> search;
  private Fingerprint expected;
  private long searches;
  private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
  /** Thread CPU time of each search (ns): what the search cost without the time spent waiting for a core. */
  private final long[] cpuNanos = new long[1 << 16];
  private int cpuSamples;

  /** What a search did, without its wall time: equal fingerprints mean the same work and the same answer. */
  record Fingerprint(long promptTokens, long generatedTokens, long policyTokens, long paddingTokens, long modelCalls,
      long verifierCalls, long verifierTokens, String best) {
    static Fingerprint of(SearchResult r) {
      SearchStats s = r.stats();
      Candidate c = r.candidates().isEmpty() ? null : r.best();
      String best = c == null ? "<none>" : c.sample() == null ? c.text() + " @" + c.score()
          : Arrays.hashCode(c.sample()) + " @" + c.score();
      return new Fingerprint(s.promptTokens(), s.generatedTokens(), s.policyTokens(), s.paddingTokens(),
          s.modelCalls(), s.verifierCalls(), s.verifierTokens(), best);
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    int dash = algorithm.lastIndexOf('-');
    name = dash < 0 ? "" : algorithm.substring(0, dash);
    if (!prmState.equals("fresh") && !prmState.equals("warm")) {
      throw new IllegalArgumentException("prmState must be fresh or warm, was '" + prmState + "'");
    }
    try {
      budget = Integer.parseInt(algorithm.substring(dash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("algorithm must be name-budget (e.g. bon-16, fk-8), was '" + algorithm + "'");
    }
    if (name.equals("fk") || name.equals("reno") || name.equals("zo") || name.startsWith("digits-")) {
      String digitsName = name.replace("digits-", "");
      DigitsSearches digits = new DigitsSearches();
      models = digits;
      search = () -> digits.run(digitsName, budget, TARGET, SEED);
    } else {
      countdown = new CountdownSearches();
      models = countdown;
      newCountdownSearch();
    }
    SearchResult first = search.get();
    if (freshPrm()) {
      newCountdownSearch();
    } else if (CountdownSearches.usesPrm(name)) {
      first = search.get(); // the PRM now knows this prompt's step prefixes
    }
    expected = Fingerprint.of(first);
    System.out.printf("%n[algorithm] %s: %s; outcome %s; best %s%n", algorithm, first.stats(), first.outcome(),
        expected.best().replace("\n", "\\n"));
  }

  private boolean freshPrm() {
    return countdown != null && prmState.equals("fresh") && CountdownSearches.usesPrm(name);
  }

  private void newCountdownSearch() {
    countdown.resetPrm();
    var builder = countdown.builder(name, budget, SEED);
    search = () -> builder.run(CountdownSearches.PROMPT);
  }

  @Setup(Level.Invocation)
  public void beforeSearch() {
    if (freshPrm() && searches > 0) {
      newCountdownSearch();
    }
  }

  @Benchmark
  public SearchResult search() {
    long c0 = threads.getCurrentThreadCpuTime();
    SearchResult r = search.get();
    if (cpuSamples < cpuNanos.length) {
      cpuNanos[cpuSamples++] = threads.getCurrentThreadCpuTime() - c0;
    }
    Fingerprint found = Fingerprint.of(r);
    if (!found.equals(expected)) {
      throw new IllegalStateException(algorithm + ": a seeded search did different work or found a different answer"
          + " (search " + (searches + 1) + "): expected " + expected + ", found " + found);
    }
    searches++;
    return r;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    System.out.printf("%n[algorithm] %s: %d searches, each the same work and answer as the first: %s%n", algorithm,
        searches, expected);
    System.out.printf("[algorithm] cpu-time %s: %s%n", algorithm, CpuTimes.summary(cpuNanos, cpuSamples));
    models.close();
  }
}
