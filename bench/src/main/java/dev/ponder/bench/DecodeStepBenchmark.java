package dev.ponder.bench;

import java.lang.management.ManagementFactory;
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
 * The engine's cost over ONNX Runtime: one batched decode step (S = 1 new token per row over a past of P tokens)
 * through {@code LmProcess.advance}, against {@code OrtSession.run} on the same inputs.
 *
 * <p>{@code side} picks who takes the step; JMH runs the sides of one batch size one after another, each in its
 * own JVM. On a machine whose load drifts between those runs, take the ratio from
 * {@link InterleavedDecodeStepBenchmark}, which times both sides in turns within one run. The sides:
 * <ul>
 *   <li>{@code engine}: {@code advance} with one-token steps, sampling at temperature 1 (end-of-sequence kept out
 *       of the draw, see {@link EngineDecodeStep});</li>
 *   <li>{@code engine-greedy}: the same with greedy decoding (argmax: no sort of the vocabulary);</li>
 *   <li>{@code raw}: {@code run(inputs, pinnedOutputs)} with tensors made once (the ratio's denominator);</li>
 *   <li>{@code raw-fresh-tensors}: the same, wrapping the buffers in new tensors every call;</li>
 *   <li>{@code raw-ort-outputs}: {@code run(inputs)}, ONNX Runtime allocating the outputs.</li>
 * </ul>
 * Both sides use one intra-op and one inter-op thread. The per-step state reset (forking the saved hypotheses,
 * releasing them, checking the counters) happens at {@link Level#Invocation}, outside the measured time, for
 * every side. Logged at the end of each trial ({@code [decode-step] ...}): the bytes allocated on the benchmark
 * thread inside the measured region (a cross-check of {@code -prof gc}, whose figure also counts the per-step
 * reset) and each measured step's thread CPU time (median, mean), which leaves out time spent waiting for a core.
 *
 * <p>See bench/README.md for the command and the recorded numbers.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class DecodeStepBenchmark {

  /** A model directory (optimum decoder export) or {@code auto}: the countdown policy if present, else tiny-gpt2. */
  @Param("auto")
  public String model;

  @Param({"1", "16", "64"})
  public int batch;

  @Param({"engine", "raw"})
  public String side;

  private DecodeStep step;
  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private long allocatedAtStart;
  private long allocatedInSteps;
  private long measuredSteps;
  /** Thread CPU time of each step of the measurement iterations: preemption by other processes is not in it. */
  private final long[] cpuNanos = new long[1 << 18];
  private int cpuSamples;
  private boolean measuring;
  private long cpuAtStart;

  @Setup(Level.Trial)
  public void setUp() {
    DecodeInputs in = DecodeInputs.create(model, batch);
    step = switch (side) {
      case "engine" -> new EngineDecodeStep(in, false);
      case "engine-greedy" -> new EngineDecodeStep(in, true);
      case "raw" -> new RawDecodeStep(in, RawDecodeStep.Mode.PINNED);
      case "raw-fresh-tensors" -> new RawDecodeStep(in, RawDecodeStep.Mode.FRESH_TENSORS);
      case "raw-ort-outputs" -> new RawDecodeStep(in, RawDecodeStep.Mode.ORT_OUTPUTS);
      default -> throw new IllegalArgumentException("side must be one of engine, engine-greedy, raw,"
          + " raw-fresh-tensors, raw-ort-outputs; was '" + side + "'");
    };
    System.out.printf("%n[decode-step] model %s, batch %d, past P = %d tokens, S = 1, side %s%n", in.modelDir,
        batch, in.pastLength(), side);
  }

  @Setup(Level.Iteration)
  public void beforeIteration(IterationParams iteration) {
    measuring = iteration.getType() == IterationType.MEASUREMENT;
  }

  @Setup(Level.Invocation)
  public void beforeStep() {
    step.before();
    allocatedAtStart = threads.getCurrentThreadAllocatedBytes();
    cpuAtStart = threads.getCurrentThreadCpuTime();
  }

  @Benchmark
  public Object step() {
    return step.run();
  }

  @TearDown(Level.Invocation)
  public void afterStep() {
    long cpu = threads.getCurrentThreadCpuTime() - cpuAtStart;
    if (measuring && cpuSamples < cpuNanos.length) {
      cpuNanos[cpuSamples++] = cpu;
    }
    allocatedInSteps += threads.getCurrentThreadAllocatedBytes() - allocatedAtStart;
    measuredSteps++;
    step.after();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    System.out.printf("%n[decode-step] %s; %.0f bytes allocated per measured step (thread allocation counter)%n",
        step.summary(), (double) allocatedInSteps / measuredSteps);
    System.out.printf("[decode-step] cpu-time batch=%d side=%s: %s%n", batch, side,
        CpuTimes.summary(cpuNanos, cpuSamples));
    step.close();
  }
}
