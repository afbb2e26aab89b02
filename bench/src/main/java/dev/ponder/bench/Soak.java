package dev.ponder.bench;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.SearchResult.StopReason;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak: many mixed searches in one JVM on shared loaded models, from two threads at once, with random deadlines,
 * interrupts and future cancellations, checking what must hold however long it runs:
 *
 * <ul>
 *   <li>every search that was left alone equals its solo run (same candidates, same policy counters) made before
 *       the soak;</li>
 *   <li>every interrupted or cancelled search ends {@code Cancelled} (or completed first), every search under a
 *       deadline ends on it (or completed first), and none throws;</li>
 *   <li>no native value is left open at the end (the policy's and the denoiser's ledgers);</li>
 *   <li>resident memory (VmRSS) after warm-up stays flat: the last sample within {@code --rss-tolerance} (5%) of
 *       the first sample after the first fifth of the searches.</li>
 * </ul>
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.ponder.bench.Soak --searches 10000 --seed 1</pre>
 *
 * Exits 0 when everything held, 1 otherwise, after one summary line and the RSS series.
 */
public final class Soak implements AutoCloseable {
  /** The mix: Countdown searches (name-n as in {@link CountdownSearches}) and digits ones ({@link DigitsSearches}). */
  static final List<String> WORKLOADS = List.of("sample-4", "bon-8", "step-beam-8", "smc-8", "mcts-8", "fk-4",
      "reno-10");
  private static final int SEEDS = 4;

  private final CountdownSearches countdown = new CountdownSearches();
  private final DigitsSearches digits = new DigitsSearches();
  private final Map<String, SearchResult> solo = new HashMap<>();
  final AtomicLong plain = new AtomicLong();
  final AtomicLong mismatches = new AtomicLong();
  final AtomicLong deadlines = new AtomicLong();
  final AtomicLong interrupts = new AtomicLong();
  final AtomicLong cancels = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  final List<Long> rssKb = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    int searches = 10_000;
    long seed = 1;
    double tolerance = 0.05;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--searches" -> searches = Integer.parseInt(args[i + 1]);
        case "--seed" -> seed = Long.parseLong(args[i + 1]);
        case "--rss-tolerance" -> tolerance = Double.parseDouble(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; expected --searches N, --seed S, --rss-tolerance F");
      }
    }
    try (Soak soak = new Soak()) {
      boolean ok = soak.run(searches, seed, tolerance, System.out);
      System.exit(ok ? 0 : 1);
    }
  }

  /** Runs the soak; prints a summary; true when every check held. */
  boolean run(int searches, long seed, double rssTolerance, PrintStream out) throws Exception {
    for (String w : WORKLOADS) {
      for (long s = 0; s < SEEDS; s++) {
        solo.put(w + "/" + s, search(w, s, null));
      }
    }
    ExecutorService workers = Executors.newFixedThreadPool(2);
    ExecutorService async = Executors.newFixedThreadPool(2);
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    SplittableRandom random = new SplittableRandom(seed);
    int every = Math.max(1, searches / 20);
    try {
      List<Future<?>> inFlight = new ArrayList<>();
      for (int i = 0; i < searches; i++) {
        String workload = WORKLOADS.get(random.nextInt(WORKLOADS.size()));
        long s = random.nextInt(SEEDS);
        double mode = random.nextDouble();
        long delayMs = 1 + random.nextInt(40);
        inFlight.add(workers.submit(() -> one(workload, s, mode, delayMs, timer, async)));
        if (inFlight.size() == 8 || i == searches - 1) {
          for (Future<?> f : inFlight) {
            f.get();
          }
          inFlight.clear();
        }
        if ((i + 1) % every == 0) {
          rssKb.add(rssKb());
          out.printf(Locale.ROOT, "[%d/%d] rss_kb=%d heap_committed_kb=%d direct_kb=%d mismatches=%d failures=%d%n",
              i + 1, searches, rssKb.get(rssKb.size() - 1), Runtime.getRuntime().totalMemory() / 1024,
              directBytes() / 1024, mismatches.get(), failures.get());
        }
      }
    } finally {
      workers.shutdown();
      async.shutdown();
      timer.shutdownNow();
      workers.awaitTermination(1, TimeUnit.MINUTES);
      async.awaitTermination(1, TimeUnit.MINUTES);
    }
    long open = countdown.policy.openNativeValues() + digits.denoiser.openNativeValues();
    int warm = Math.max(0, rssKb.size() / 5 - 1);
    double growth = rssKb.isEmpty() ? 0 : (double) rssKb.get(rssKb.size() - 1) / rssKb.get(warm) - 1;
    boolean ok = mismatches.get() == 0 && failures.get() == 0 && open == 0 && growth <= rssTolerance;
    out.printf(Locale.ROOT, "soak searches=%d plain=%d mismatches=%d deadlines=%d interrupts=%d cancels=%d"
            + " failures=%d native_open=%d rss_growth_after_warmup=%.3f %s%n", searches, plain.get(),
        mismatches.get(), deadlines.get(), interrupts.get(), cancels.get(), failures.get(), open, growth,
        ok ? "PASS" : "FAIL");
    out.println("rss_kb " + rssKb);
    problems.stream().limit(10).forEach(p -> out.println("problem: " + p));
    return ok;
  }

  /** One search in the mode drawn for it: 60% left alone, 15% deadline, 15% interrupt, 10% future cancel. */
  private void one(String workload, long seed, double mode, long delayMs, ScheduledExecutorService timer,
      ExecutorService async) {
    try {
      if (mode < 0.60) {
        plain.incrementAndGet();
        SearchResult r = search(workload, seed, null);
        SearchResult expected = solo.get(workload + "/" + seed);
        if (!r.candidates().equals(expected.candidates()) || !sameCounters(r.stats(), expected.stats())) {
          mismatch(workload + " seed " + seed + " differs from its solo run");
        }
      } else if (mode < 0.75 && !isDigits(workload)) {
        deadlines.incrementAndGet();
        SearchResult r = search(workload, seed, Duration.ofMillis(delayMs));
        if (!(r.stopReason() instanceof StopReason.Completed || r.stopReason() instanceof StopReason.LimitReached l
            && l.limit() == Budget.Limit.WALL_TIME)) {
          fail(workload + " under a deadline ended " + r.stopReason());
        }
      } else if (mode < 0.90 || isDigits(workload)) {
        interrupts.incrementAndGet();
        interrupted(workload, seed, delayMs, timer);
      } else {
        cancels.incrementAndGet();
        cancelled(workload, seed, delayMs, async);
      }
    } catch (RuntimeException | InterruptedException e) {
      fail(workload + " seed " + seed + " threw " + e);
    }
  }

  /** The search with an interrupt of this thread scheduled after {@code delayMs}; the flag is cleared after. */
  private void interrupted(String workload, long seed, long delayMs, ScheduledExecutorService timer) {
    Thread me = Thread.currentThread();
    Object lock = new Object();
    boolean[] active = {true};
    var pending = timer.schedule(() -> {
      synchronized (lock) {
        if (active[0]) {
          me.interrupt();
        }
      }
    }, delayMs, TimeUnit.MILLISECONDS);
    SearchResult r;
    try {
      r = search(workload, seed, null);
    } finally {
      synchronized (lock) {
        active[0] = false;
      }
      pending.cancel(false);
      Thread.interrupted();
    }
    if (!(r.stopReason() instanceof StopReason.Completed || r.stopReason() instanceof StopReason.Cancelled)) {
      fail(workload + " interrupted ended " + r.stopReason());
    }
  }

  /** The search through runAsync, its future cancelled after {@code delayMs}; waits for its Done event. */
  private void cancelled(String workload, long seed, long delayMs, ExecutorService async) throws InterruptedException {
    String[] parts = workload.split("-(?=\\d+$)");
    CountDownLatch done = new CountDownLatch(1);
    StopReason[] why = new StopReason[1];
    CompletableFuture<SearchResult> f = countdown.builder(parts[0], Integer.parseInt(parts[1]), seed).listener(e -> {
      if (e instanceof SearchEvent.Done d) {
        why[0] = d.stopReason();
        done.countDown();
      }
    }).runAsync(CountdownSearches.PROMPT, async);
    Thread.sleep(delayMs);
    f.cancel(true);
    if (!done.await(1, TimeUnit.MINUTES)) {
      fail(workload + " did not end within a minute of its cancel");
    } else if (!(why[0] instanceof StopReason.Completed || why[0] instanceof StopReason.Cancelled)) {
      fail(workload + " cancelled ended " + why[0]);
    }
  }

  private SearchResult search(String workload, long seed, Duration deadline) {
    String[] parts = workload.split("-(?=\\d+$)");
    int n = Integer.parseInt(parts[1]);
    if (isDigits(workload)) {
      return digits.run(parts[0], n, 3, seed);
    }
    var b = countdown.builder(parts[0], n, seed);
    if (deadline != null) {
      b.budget(Budget.deadlineOf(deadline));
    }
    return b.run(CountdownSearches.PROMPT);
  }

  private static boolean isDigits(String workload) {
    return workload.startsWith("fk-") || workload.startsWith("reno-");
  }

  /**
   * The policy's counters. Verifier calls are left out on purpose: the incremental PRM keeps the state of step
   * prefixes it has scored across searches, so a repeated search makes fewer PRM calls for the same scores.
   */
  private static boolean sameCounters(SearchStats a, SearchStats b) {
    return a.promptTokens() == b.promptTokens() && a.generatedTokens() == b.generatedTokens()
        && a.policyTokens() == b.policyTokens() && a.modelCalls() == b.modelCalls();
  }

  private synchronized void mismatch(String what) {
    mismatches.incrementAndGet();
    problems.add(what);
  }

  private synchronized void fail(String what) {
    failures.incrementAndGet();
    problems.add(what);
  }

  /** Direct-buffer memory in use (the KV and logits pools live there). */
  static long directBytes() {
    for (java.lang.management.BufferPoolMXBean pool
        : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        return pool.getMemoryUsed();
      }
    }
    return 0;
  }

  /** This process's resident set, in kB, from /proc/self/status (0 where there is none). */
  static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return 0;
  }

  @Override
  public void close() {
    countdown.close();
    digits.close();
  }
}
