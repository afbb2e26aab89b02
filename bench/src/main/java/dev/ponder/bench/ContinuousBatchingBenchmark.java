package dev.ponder.bench;

import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.lm.LanguageModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * {@value #SEARCHES} best-of-{@code n} searches (n = 4 unless {@code -p n=...}) (ORM-ranked, as {@link CountdownSearches} configures them) run at
 * once on one Countdown policy, one thread each, over the first {@value #SEARCHES} problems of
 * {@code onnx-models/countdown/test.jsonl}: one operation is all of them, start to finish.
 *
 * <p>{@code mode}: {@code per-search} makes each search's own model calls (as before continuous batching);
 * {@code scheduler} turns on {@link LanguageModel#batchAcrossSearches}, which merges the calls of every search
 * decoding at the time into one ONNX call per step, in one lane per core (merged calls that run at once; the
 * policy runs with one intra-op thread); {@code scheduler-1-lane} with one lane (one merged call at a time).
 * {@code interleaved} (the default) runs the three in turns in one JVM, one operation each per invocation (the
 * first one rotating), and logs each one's median wall time and the ratios of medians: the shared 2-core machine's
 * load drifts too much between JVMs for separate runs to compare.
 *
 * <p>Same answers: setup runs every search alone (no scheduler, one after another) and keeps its best text, score
 * and counters; every measured operation must reproduce each search's best text and score exactly, or it fails.
 * Logged at the end: the searches' own model calls and policy tokens per operation, and for the scheduler its
 * merged ONNX calls, rows, input positions and past padding.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 5, time = 6)
public class ContinuousBatchingBenchmark {
  static final int SEARCHES = 16;
  static final long SEED = 11;
  private static final Pattern PROBLEM = Pattern.compile(
      "\"numbers\": \\[([0-9, ]+)\\], \"target\": ([0-9]+)");

  @Param({"interleaved"})
  public String mode;

  /** Samples per search (best-of-N). */
  @Param({"4"})
  public int n;

  private CountdownSearches countdown;
  private ExecutorService threads;
  private final List<String> prompts = new ArrayList<>();
  private final List<String> expected = new ArrayList<>();
  private long soloModelCalls;
  private long soloPolicyTokens;
  private long soloPadding;
  private long operations;
  private LanguageModel.SharedCalls sharedAtStart;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    if (!List.of("per-search", "scheduler", "scheduler-1-lane", "interleaved").contains(mode)) {
      throw new IllegalArgumentException("mode must be per-search, scheduler, scheduler-1-lane or interleaved, was '"
          + mode + "'");
    }
    countdown = new CountdownSearches();
    List<String> lines = Files.readAllLines(countdown.root.resolve("onnx-models/countdown/test.jsonl"));
    for (String line : lines.subList(0, SEARCHES)) {
      Matcher m = PROBLEM.matcher(line);
      if (!m.find()) {
        throw new IllegalArgumentException("expected a Countdown problem {\"numbers\": [...], \"target\": n}, found "
            + line);
      }
      prompts.add("numbers: " + m.group(1).replace(",", "") + " target: " + m.group(2) + "\n");
    }
    for (int i = 0; i < SEARCHES; i++) {
      SearchResult r = search(i);
      expected.add(answer(r));
      SearchStats s = r.stats();
      soloModelCalls += s.modelCalls();
      soloPolicyTokens += s.policyTokens();
      soloPadding += s.paddingTokens();
    }
    System.out.printf("%n[%s] alone, per operation: %d model calls, %d policy tokens, %d padding tokens%n", mode,
        soloModelCalls, soloPolicyTokens, soloPadding);
    if (mode.equals("scheduler")) {
      countdown.policy.batchAcrossSearches(true);
    } else if (mode.equals("scheduler-1-lane")) {
      countdown.policy.batchAcrossSearches(1);
    }
    sharedAtStart = countdown.policy.sharedCalls();
    threads = Executors.newFixedThreadPool(SEARCHES);
  }

  private SearchResult search(int i) {
    return countdown.run("bon", n, SEED + i, prompts.get(i));
  }

  private static double median(List<Long> xs) {
    List<Long> sorted = new ArrayList<>(xs);
    java.util.Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
  }

  private static String answer(SearchResult r) {
    return r.best().text() + " @" + Double.doubleToLongBits(r.best().score());
  }

  private static final List<String> TURNS = List.of("per-search", "scheduler", "scheduler-1-lane");
  private final java.util.Map<String, List<Long>> nanos = new java.util.LinkedHashMap<>();
  private final java.util.Map<String, long[]> shared = new java.util.LinkedHashMap<>();
  /** The JVM's CPU time per round: the machine is shared, and 16 runnable threads get more of it than one. */
  private final java.util.Map<String, List<Long>> cpu = new java.util.LinkedHashMap<>();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  private void use(String turn) {
    countdown.policy.batchAcrossSearches(0);
    if (turn.equals("scheduler")) {
      countdown.policy.batchAcrossSearches(true);
    } else if (turn.equals("scheduler-1-lane")) {
      countdown.policy.batchAcrossSearches(1);
    }
  }

  @Benchmark
  public long searches() throws Exception {
    if (!mode.equals("interleaved")) {
      return operation();
    }
    long tokens = 0;
    for (int t = 0; t < TURNS.size(); t++) {
      String turn = TURNS.get((int) ((invocations + t) % TURNS.size()));
      use(turn);
      long start = System.nanoTime();
      long cpuStart = OS.getProcessCpuTime();
      tokens += operation();
      nanos.computeIfAbsent(turn, k -> new ArrayList<>()).add(System.nanoTime() - start);
      cpu.computeIfAbsent(turn, k -> new ArrayList<>()).add(OS.getProcessCpuTime() - cpuStart);
      LanguageModel.SharedCalls c = countdown.policy.sharedCalls();
      long[] sum = shared.computeIfAbsent(turn, k -> new long[5]);
      sum[0] += c.calls();
      sum[1] += c.rows();
      sum[2] += c.pastPadding();
      sum[3] += c.gatheredCalls();
      sum[4] += c.closedUpCalls();
    }
    invocations++;
    return tokens;
  }

  private long invocations;

  private long operation() throws Exception {
    List<Future<SearchResult>> futures = new ArrayList<>();
    for (int i = 0; i < SEARCHES; i++) {
      int k = i;
      futures.add(threads.submit(() -> search(k)));
    }
    long tokens = 0;
    for (int i = 0; i < SEARCHES; i++) {
      SearchResult r = futures.get(i).get();
      if (!answer(r).equals(expected.get(i))) {
        throw new IllegalStateException("search " + i + " answered " + answer(r) + " with " + mode + "; alone it"
            + " answered " + expected.get(i));
      }
      tokens += r.stats().policyTokens();
    }
    operations++;
    return tokens;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    LanguageModel.SharedCalls now = countdown.policy.sharedCalls();
    for (var e : nanos.entrySet()) {
      long[] sum = shared.get(e.getKey());
      int k = e.getValue().size();
      System.out.printf("%n[interleaved] %s: median %.1f ms (process CPU %.1f ms) over %d operations; per operation %.1f ONNX calls, %.1f"
          + " rows, %.1f past padding positions, %.1f gathered, %.1f closed-up (0 for per-search: its calls are the"
          + " searches' own, %d per operation)", e.getKey(), median(e.getValue()) / 1e6,
          median(cpu.get(e.getKey())) / 1e6, k, sum[0] / (double) k,
          sum[1] / (double) k, sum[2] / (double) k, sum[3] / (double) k, sum[4] / (double) k, soloModelCalls);
    }
    if (nanos.size() == TURNS.size()) {
      double base = median(nanos.get("per-search"));
      System.out.printf("%n[interleaved] throughput ratio (median per-search / median): scheduler %.3f,"
          + " scheduler-1-lane %.3f%n", base / median(nanos.get("scheduler")),
          base / median(nanos.get("scheduler-1-lane")));
      double baseCpu = median(cpu.get("per-search"));
      System.out.printf("[interleaved] CPU-time ratio (median per-search / median): scheduler %.3f,"
          + " scheduler-1-lane %.3f%n", baseCpu / median(cpu.get("scheduler")),
          baseCpu / median(cpu.get("scheduler-1-lane")));
    }
    if (mode.startsWith("scheduler") && operations > 0) {
      long ops = operations;
      System.out.printf("%n[" + mode + "] per operation (%d operations): %.1f merged ONNX calls for %.1f search calls,"
          + " %.1f rows, %.1f input positions, %.1f past padding positions, %.1f gathered and %.1f closed-up calls%n", ops,
          (now.calls() - sharedAtStart.calls()) / (double) ops, (now.requests() - sharedAtStart.requests()) / (double) ops,
          (now.rows() - sharedAtStart.rows()) / (double) ops, (now.tokens() - sharedAtStart.tokens()) / (double) ops,
          (now.pastPadding() - sharedAtStart.pastPadding()) / (double) ops,
          (now.gatheredCalls() - sharedAtStart.gatheredCalls()) / (double) ops,
          (now.closedUpCalls() - sharedAtStart.closedUpCalls()) / (double) ops);
      System.out.printf("[" + mode + "] per operation: %.1f ms in merged calls (summed over lanes), %.1f ms of it in"
          + " OrtSession.run%n", (now.callNanos() - sharedAtStart.callNanos()) / 1e6 / ops,
          (now.runNanos() - sharedAtStart.runNanos()) / 1e6 / ops);
    }
    System.out.printf("[%s] every one of %d operations gave each search its solo answer%n", mode, operations);
    threads.shutdownNow();
    countdown.close();
  }
}
