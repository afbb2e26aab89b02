package dev.ponder.engine;

import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What every algorithm needs while it runs: the random streams, the budget with its clock, the listener and the
 * counters. One context per search; not shared between searches.
 */
public final class SearchContext {
  private final RandomStreams random;
  private final Budget budget;
  private final SearchListener listener;
  private final LongSupplier nanoClock;
  private final SearchCounters counters = new SearchCounters();
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final long startNanos;
  private static final StopReason CANCELLED_BY_CALLER = new StopReason.Cancelled(StopReason.Cancelled.By.CALLER);
  private static final StopReason CANCELLED_BY_INTERRUPT = new StopReason.Cancelled(StopReason.Cancelled.By.INTERRUPT);

  private SearchContext(Builder b) {
    this.random = new RandomStreams(b.seed);
    this.budget = b.budget;
    this.listener = b.listener;
    this.nanoClock = b.nanoClock;
    this.startNanos = nanoClock.getAsLong();
  }

  public static Builder builder() {
    return new Builder();
  }

  public RandomStreams random() {
    return random;
  }

  public Budget budget() {
    return budget;
  }

  public SearchCounters counters() {
    return counters;
  }

  public void emit(SearchEvent event) {
    listener.onEvent(event);
  }

  /**
   * Whether a listener other than {@link SearchListener#none()} is attached: an event that costs a copy to build
   * (a {@link SearchEvent.Preview}) is built only then.
   */
  public boolean isListening() {
    return listener != NoListener.INSTANCE;
  }

  public long elapsedNanos() {
    return nanoClock.getAsLong() - startNanos;
  }

  /**
   * Asks the search to stop: it notices before its next model or scorer call, releases its hypotheses and returns
   * the best found so far with {@link StopReason.Cancelled}. Safe from any thread; idempotent.
   */
  public void cancel() {
    cancelled.set(true);
  }

  public boolean isCancelled() {
    return cancelled.get();
  }

  /** Which budget limit has been reached, or {@code null}. */
  public StopReason.LimitReached budgetExceededBy() {
    return budget.exceededBy(counters, elapsedNanos());
  }

  /**
   * Whether the search should stop now, and why: {@code null} to go on. Checked between model and scorer calls
   * (cheap: a few atomic reads). A cancel call or an interrupt of the calling thread means
   * {@link StopReason.Cancelled}; the interrupt flag is left set for the caller to see.
   */
  public StopReason stopReason() {
    if (cancelled.get()) {
      return CANCELLED_BY_CALLER;
    }
    if (Thread.currentThread().isInterrupted()) {
      return CANCELLED_BY_INTERRUPT;
    }
    return budgetExceededBy();
  }

  /**
   * Whether the search must stop at once, even part-way through a list it is scoring: cancelled, interrupted or
   * past its deadline; {@code null} to go on. Spending limits (tokens, calls) are not checked here: a list already
   * being scored is finished. Scorers that work input by input check this between inputs and leave the rest NaN
   * (the searches rank NaN last), so that a slow scorer overshoots a deadline by at most one input.
   */
  public StopReason stopNow() {
    StopReason why = stopReason();
    return why instanceof StopReason.LimitReached limit && limit.limit() != Budget.Limit.WALL_TIME ? null : why;
  }

  public SearchStats stats() {
    return counters.snapshot(elapsedNanos());
  }

  public static final class Builder {
    private Builder() {
    }

    private long seed;
    private Budget budget = Budget.unlimited();
    private SearchListener listener = SearchListener.none();
    private LongSupplier nanoClock = System::nanoTime;

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public Builder budget(Budget value) {
      this.budget = Objects.requireNonNull(value, "budget");
      return this;
    }

    public Builder listener(SearchListener value) {
      this.listener = Objects.requireNonNull(value, "listener");
      return this;
    }

    /** The clock budgets read; inject a fake one to test deadlines. */
    public Builder nanoClock(LongSupplier value) {
      this.nanoClock = Objects.requireNonNull(value, "nanoClock");
      return this;
    }

    public SearchContext build() {
      return new SearchContext(this);
    }
  }

  /**
   * The running tally of what a search has spent. Policies and verifiers add to it as they work; budgets read it.
   * Thread-safe: a verifier may score on another thread while the policy decodes.
   *
   * <ul>
   *   <li>{@code promptTokens}: prompt tokens the policy processed (each distinct prompt once when prefixes are
   *       shared);</li>
   *   <li>{@code generatedTokens}: tokens the policy sampled;</li>
   *   <li>{@code policyTokens}: every real (non-padding) token position the policy model processed, prompt and
   *       generated; with KV reuse this equals the distinct tokens of the search tree;</li>
   *   <li>{@code paddingTokens}: padding positions fed to the model to keep a batch rectangular;</li>
   *   <li>{@code modelCalls}: policy forward passes (one per batched step);</li>
   *   <li>{@code verifierCalls}, {@code verifierTokens}: batched scorer invocations and the tokens they read;</li>
   *   <li>{@code verifierCacheHits}, {@code verifierCacheMisses}: inputs a score cache answered, and sent on.</li>
   * </ul>
   */
  public static final class SearchCounters {
    /** Made by each {@link SearchContext}. */
    SearchCounters() {
    }

    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong policyTokens = new AtomicLong();
    private final AtomicLong paddingTokens = new AtomicLong();
    private final AtomicLong modelCalls = new AtomicLong();
    private final AtomicLong verifierCalls = new AtomicLong();
    private final AtomicLong verifierTokens = new AtomicLong();
    private final AtomicLong verifierCacheHits = new AtomicLong();
    private final AtomicLong verifierCacheMisses = new AtomicLong();

    public void addVerifierCacheHits(long n) {
      verifierCacheHits.addAndGet(n);
    }

    public void addVerifierCacheMisses(long n) {
      verifierCacheMisses.addAndGet(n);
    }

    public long verifierCacheHits() {
      return verifierCacheHits.get();
    }

    public long verifierCacheMisses() {
      return verifierCacheMisses.get();
    }

    public void addPromptTokens(long n) {
      promptTokens.addAndGet(n);
    }

    public void addGeneratedTokens(long n) {
      generatedTokens.addAndGet(n);
    }

    public void addPolicyTokens(long n) {
      policyTokens.addAndGet(n);
    }

    public void addPaddingTokens(long n) {
      paddingTokens.addAndGet(n);
    }

    public void addModelCalls(long n) {
      modelCalls.addAndGet(n);
    }

    public void addVerifierCalls(long n) {
      verifierCalls.addAndGet(n);
    }

    public void addVerifierTokens(long n) {
      verifierTokens.addAndGet(n);
    }

    public long promptTokens() {
      return promptTokens.get();
    }

    public long generatedTokens() {
      return generatedTokens.get();
    }

    public long policyTokens() {
      return policyTokens.get();
    }

    public long paddingTokens() {
      return paddingTokens.get();
    }

    public long modelCalls() {
      return modelCalls.get();
    }

    public long verifierCalls() {
      return verifierCalls.get();
    }

    public long verifierTokens() {
      return verifierTokens.get();
    }

    /** An immutable copy, stamped with the wall time so far. */
    public SearchStats snapshot(long wallNanos) {
      return new SearchStats(promptTokens(), generatedTokens(), policyTokens(), paddingTokens(), modelCalls(),
          verifierCalls(), verifierTokens(), verifierCacheHits(), verifierCacheMisses(), wallNanos);
    }
  }

  /**
   * Counter-based random numbers: every draw is a pure function of (seed, lineage, step, purpose, index), so a
   * hypothesis draws the same numbers whether it is decoded alone, in a batch of 3 or in a batch of 64, on any
   * thread. There is no generator state to share or split.
   *
   * <p>The mixing function is SplitMix64's finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number
   * generators", OOPSLA 2014) applied to each key word in turn; a stateful generator from Commons RNG would need one
   * instance per draw to be batch-independent, which is what this avoids. Each 64-bit output is turned into a double
   * in [0, 1) from its top 53 bits.
   */
  public static final class RandomStreams {

    /** Why a number is drawn: distinct purposes never share a stream. */
    public enum Purpose { TOKEN, RESAMPLE, SELECT, NOISE, CHOICE, LINEAGE, REWARD }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final long seed;

    public RandomStreams(long seed) {
      this.seed = seed;
    }

    public long seed() {
      return seed;
    }

    /** A uniform double in [0, 1) for the given key. */
    public double uniform(long lineage, long step, Purpose purpose, long index) {
      return (bits(lineage, step, purpose, index) >>> 11) * 0x1.0p-53;
    }

    /**
     * A standard normal draw for the given key, by the Box-Muller transform of the uniforms at indices
     * {@code 2 * index} and {@code 2 * index + 1} of the same (lineage, step, purpose): a pure function of the key,
     * like {@link #uniform}. The two uniforms are not shared with any other {@code index}.
     */
    public double gaussian(long lineage, long step, Purpose purpose, long index) {
      double u1 = 1.0 - uniform(lineage, step, purpose, 2 * index); // in (0, 1], so the log is finite
      double u2 = uniform(lineage, step, purpose, 2 * index + 1);
      return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** 64 random bits for the given key. */
    public long bits(long lineage, long step, Purpose purpose, long index) {
      long h = mix(seed + GOLDEN);
      h = mix(h ^ (lineage + GOLDEN * 2));
      h = mix(h ^ (step + GOLDEN * 3));
      h = mix(h ^ (purpose.ordinal() + GOLDEN * 4));
      return mix(h ^ (index + GOLDEN * 5));
    }

    /** The lineage id of the {@code k}-th child forked from {@code parent}. */
    public static long childLineage(long parent, long k) {
      return mix(mix(parent + GOLDEN) ^ (k * GOLDEN + 0x632BE59BD9B4E019L));
    }

    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }
}
