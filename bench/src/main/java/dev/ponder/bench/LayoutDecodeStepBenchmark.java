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
 * One engine decode step on the same weights in two KV layouts (issue 19), taking turns in one JVM
 * ({@link InterleavedSamples}, blocks of {@code block} steps): onnxruntime-genai's builder export
 * ({@code GroupQueryAttention}, KV written in place) against the optimum export (past -> present concat, the
 * whole KV copied every step). Both sides are {@link ContinuingDecodeStep}s over the same past (P = 46 tokens,
 * growing by up to {@code block} within a block), one intra-op thread. Logged at the end as
 * {@code [layout] ... engine median = genai, optimum median; engine/optimum ratio}. With {@code -p baseline=raw}
 * the genai side takes turns with {@link RawGqaDecodeStep} instead: the engine's overhead over ONNX Runtime.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class LayoutDecodeStepBenchmark {
  @Param("onnx-models/llama-tiny/genai-fp32")
  public String genai;

  @Param("onnx-models/llama-tiny/optimum")
  public String optimum;

  @Param({"1", "16", "64"})
  public int batch;

  @Param("16")
  public int block;

  /** What the genai side takes turns with: {@code optimum} (the engine on the optimum export) or {@code raw}. */
  @Param("optimum")
  public String baseline;

  private DecodeStep inPlace;
  private DecodeStep concat;
  private DecodeStep current;
  private InterleavedSamples samples;
  private boolean measuring;
  private long nanos;

  @Setup(Level.Trial)
  public void setUp() {
    DecodeInputs a = DecodeInputs.create(genai, batch);
    DecodeInputs b = DecodeInputs.create(optimum, batch);
    inPlace = new ContinuingDecodeStep(a.modelDir, batch, a.past, a.nextToken, block);
    concat = switch (baseline) {
      case "optimum" -> new ContinuingDecodeStep(b.modelDir, batch, b.past, b.nextToken, block);
      case "raw" -> new RawGqaDecodeStep(a, block);
      default -> throw new IllegalArgumentException("baseline must be optimum or raw, was '" + baseline + "'");
    };
    samples = new InterleavedSamples(block, 1 << 16);
    System.out.printf("%n[layout] batch %d, past P = %d tokens, blocks of %d steps: %s against %s%n", batch,
        a.pastLength(), block, a.modelDir, baseline.equals("raw") ? "raw OrtSession.run on it" : b.modelDir);
  }

  @Setup(Level.Iteration)
  public void beforeIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
  }

  @Setup(Level.Invocation)
  public void beforeStep() {
    current = samples.engineTurn() ? inPlace : concat;
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
    System.out.printf("%n[layout] batch=%d (engine = genai in-place): %s%n[layout] %s%n[layout] %s%n", batch,
        samples.summary(baseline), inPlace.summary(), concat.summary());
    inPlace.close();
    concat.close();
  }
}
