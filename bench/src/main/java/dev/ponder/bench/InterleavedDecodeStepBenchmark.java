package dev.ponder.bench;

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
 * The engine/raw ratio of {@link DecodeStepBenchmark} (side {@code engine} against {@code raw} or
 * {@code raw-fresh-tensors}), measured in one JVM with the two sides taking turns in blocks of {@code block} steps
 * (see {@link InterleavedSamples}), so that both see the same machine. Each step is timed with
 * {@link System#nanoTime} around the step alone; the ratio of the sides' medians with a bootstrap interval is
 * logged at the end of the trial as {@code [interleaved] ...}. JMH's own score here mixes both sides and means
 * nothing by itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class InterleavedDecodeStepBenchmark {

  /** A model directory (optimum decoder export) or {@code auto}: the countdown policy if present, else tiny-gpt2. */
  @Param("auto")
  public String model;

  @Param({"1", "16", "64"})
  public int batch;

  /** The side the engine takes turns with: {@code raw} or {@code raw-fresh-tensors} (see {@link RawDecodeStep}). */
  @Param("raw")
  public String baseline;

  /** Steps per block; each side keeps its caches warm within a block. */
  @Param("32")
  public int block;

  private DecodeStep engine;
  private DecodeStep baselineStep;
  private DecodeStep current;
  private InterleavedSamples samples;
  private boolean measuring;
  private long nanos;

  @Setup(Level.Trial)
  public void setUp() {
    DecodeInputs in = DecodeInputs.create(model, batch);
    engine = new EngineDecodeStep(in, false);
    baselineStep = switch (baseline) {
      case "raw" -> new RawDecodeStep(in, RawDecodeStep.Mode.PINNED);
      case "raw-fresh-tensors" -> new RawDecodeStep(in, RawDecodeStep.Mode.FRESH_TENSORS);
      default -> throw new IllegalArgumentException("baseline must be raw or raw-fresh-tensors, was '" + baseline
          + "'");
    };
    samples = new InterleavedSamples(block, 1 << 16);
    System.out.printf("%n[interleaved] model %s, batch %d, past P = %d tokens, S = 1, blocks of %d steps%n",
        in.modelDir, batch, in.pastLength(), block);
  }

  @Setup(Level.Iteration)
  public void beforeIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
  }

  @Setup(Level.Invocation)
  public void beforeStep() {
    current = samples.engineTurn() ? engine : baselineStep;
    current.before();
  }

  @Benchmark
  public Object step() {
    long t0 = System.nanoTime();
    Object out = current.run();
    nanos = System.nanoTime() - t0;
    return out;
  }

  @TearDown(Level.Invocation)
  public void afterStep() {
    current.after();
    samples.add(nanos, measuring);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.printf("%n[interleaved] batch=%d: %s%n[interleaved] %s%n", batch, samples.summary(baseline),
        engine.summary());
    engine.close();
    baselineStep.close();
  }
}
