package dev.ponder.bench;

import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.samplers.ProcessSearch;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The engine's overhead over a whole search: best-of-N (ORM) on the Countdown prompt, seeded, through
 * {@code Search.bestOfN(...).run(prompt)}, against the same model calls replayed through raw
 * {@code OrtSession.run} ({@link RawBestOfNReplay}: same shapes, same tokens, pinned outputs). The two take turns
 * in blocks of {@code block} searches in one JVM ({@link InterleavedSamples}); the ratio of the medians with a 99%
 * bootstrap interval is logged at the end as {@code [search-overhead] ...}, for wall time and for the thread's CPU
 * time (with one intra-op thread ONNX Runtime runs on the calling thread, so CPU time covers the model calls but
 * not the time spent waiting for a core, which dominates the wall time on a loaded machine). JMH's own score mixes both sides.
 *
 * <p>The replay is rebuilt from the setup search's result and checked against its counters; every measured
 * engine search must do exactly the same work (its counters are compared, outside the timed region). The raw side
 * leaves out what only the engine does: sampling, detokenizing, the ORM's tokenization and transform, selection.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 6, time = 8)
public class SearchOverheadBenchmark {

  /** Best-of-N's N. */
  @Param("16")
  public int n;

  /** {@code raw}: the replay's tensors made once up front; {@code raw-fresh-tensors}: made for every call. */
  @Param("raw")
  public String baseline;

  /** Searches per block. */
  @Param("2")
  public int block;

  private CountdownSearches models;
  private ProcessSearch<LmHypothesis, ?> search;
  private RawBestOfNReplay replay;
  private AlgorithmLatencyBenchmark.Fingerprint expected;
  private InterleavedSamples samples;
  /** The same turns timed by the thread's CPU time, which leaves out waiting for a core on a loaded machine. */
  private InterleavedSamples cpuSamples;
  private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
  private long cpuNanos;
  private boolean engineTurn;
  private boolean measuring;
  private long nanos;
  private SearchResult last;
  private long engineSearches;

  @Setup(Level.Trial)
  public void setUp() {
    if (!baseline.equals("raw") && !baseline.equals("raw-fresh-tensors")) {
      throw new IllegalArgumentException("baseline must be raw or raw-fresh-tensors, was '" + baseline + "'");
    }
    models = new CountdownSearches();
    search = models.builder("bon", n, AlgorithmLatencyBenchmark.SEED);
    SearchResult first = search.run(CountdownSearches.PROMPT);
    expected = AlgorithmLatencyBenchmark.Fingerprint.of(first);
    replay = new RawBestOfNReplay(models.policy, models.root.resolve("onnx-models/countdown/orm"),
        CountdownSearches.PROMPT, first, baseline.equals("raw"));
    samples = new InterleavedSamples(block, 1 << 12);
    cpuSamples = new InterleavedSamples(block, 1 << 12);
    System.out.printf("%n[search-overhead] best-of-%d, %s%n[search-overhead] replay: %s%n", n, first.stats(),
        replay.description);
  }

  @Setup(Level.Iteration)
  public void beforeIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
  }

  @Setup(Level.Invocation)
  public void beforeSearch() {
    engineTurn = samples.engineTurn();
  }

  @Benchmark
  public Object search() {
    long c0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    Object out = engineTurn ? (last = search.run(CountdownSearches.PROMPT)) : (Object) replay.run();
    nanos = System.nanoTime() - t0;
    cpuNanos = threads.getCurrentThreadCpuTime() - c0;
    return out;
  }

  @TearDown(Level.Invocation)
  public void afterSearch() {
    if (engineTurn) {
      AlgorithmLatencyBenchmark.Fingerprint found = AlgorithmLatencyBenchmark.Fingerprint.of(last);
      if (!found.equals(expected)) {
        throw new IllegalStateException("the seeded search did different work: expected " + expected + ", found "
            + found);
      }
      engineSearches++;
    }
    samples.add(nanos, measuring);
    cpuSamples.add(cpuNanos, measuring);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.printf("%n[search-overhead] best-of-%d, wall time: %s%n[search-overhead] best-of-%d, thread CPU time: %s%n"
        + "[search-overhead] %d engine searches, all the same work as the replayed one%n", n, samples.summary(baseline),
        n, cpuSamples.summary(baseline), engineSearches);
    replay.close();
    models.close();
  }
}
