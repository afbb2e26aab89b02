package dev.ponder.bench;

import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * Cancel latency: from {@code future.cancel(true)} on a running search to the search's {@code Done} event (its
 * hypotheses released, its result built), on the Countdown models ({@link CountdownSearches}). Each invocation
 * starts a search with {@code runAsync} (not timed), waits until it has emitted {@link #afterSteps} step events,
 * so that it is mid-way through decoding or scoring, then the timed part cancels it and waits for {@code Done}.
 * Sample mode gives the percentiles (p50, p99). The search must end {@code Cancelled(CALLER)}, or the benchmark
 * fails.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class CancelLatencyBenchmark {

  /** {@code name-n} as in {@link CountdownSearches}: bon-16 (ORM), smc-16 and step-beam-16 (PRM). */
  @Param({"bon-16", "smc-16", "step-beam-16"})
  public String algorithm;

  /** Step events to wait for before cancelling. */
  @Param("3")
  public int afterSteps;

  private CountdownSearches searches;
  private ExecutorService executor;
  private CompletableFuture<SearchResult> running;
  private CountDownLatch done;
  private AtomicReference<StopReason> why;
  private long seed;

  @Setup(Level.Trial)
  public void load() {
    searches = new CountdownSearches();
    executor = Executors.newSingleThreadExecutor();
  }

  @Setup(Level.Invocation)
  public void start() throws InterruptedException {
    String[] parts = algorithm.split("-(?=\\d+$)");
    CountDownLatch stepped = new CountDownLatch(afterSteps);
    done = new CountDownLatch(1);
    why = new AtomicReference<>();
    AtomicInteger steps = new AtomicInteger();
    running = searches.builder(parts[0], Integer.parseInt(parts[1]), ++seed).listener(e -> {
      if (e instanceof SearchEvent.Step) {
        steps.incrementAndGet();
        stepped.countDown();
      } else if (e instanceof SearchEvent.Done d) {
        why.set(d.stopReason());
        done.countDown();
        for (long i = stepped.getCount(); i > 0; i--) {
          stepped.countDown(); // a search that ended first must not hang the setup
        }
      }
    }).runAsync(CountdownSearches.PROMPT, executor);
    stepped.await();
  }

  @Benchmark
  public StopReason cancelToDone() throws InterruptedException {
    running.cancel(true);
    done.await();
    return why.get();
  }

  @TearDown(Level.Invocation)
  public void check() {
    if (!(why.get() instanceof StopReason.Cancelled)) {
      throw new IllegalStateException(algorithm + " ended " + why.get() + " before it was cancelled; lower afterSteps");
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    executor.shutdownNow();
    searches.close();
  }
}
