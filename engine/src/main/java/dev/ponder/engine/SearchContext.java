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

  public long elapsedNanos() {
    return nanoClock.getAsLong() - startNanos;
  }

  /** Asks the search to stop at its next step; it returns the best found so far. Safe from any thread. */
  public void cancel() {
    cancelled.set(true);
  }

  public boolean isCancelled() {
    return cancelled.get();
  }

  /** Which budget limit has been reached, or {@code null}. */
  public String budgetExceededBy() {
    return budget.exceededBy(counters, elapsedNanos());
  }

  /** Whether the search should stop now, and why: {@code null} to go on. */
  public Outcome stopReason() {
    if (isCancelled()) {
      return Outcome.CANCELLED;
    }
    return budgetExceededBy() != null ? Outcome.BUDGET_EXHAUSTED : null;
  }

  public SearchStats stats() {
    return counters.snapshot(elapsedNanos());
  }

  public static final class Builder {
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
