package dev.ponder.engine;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
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
}
