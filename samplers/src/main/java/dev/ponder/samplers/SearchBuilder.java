package dev.ponder.samplers;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchListener;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * What every search is configured with, whatever it searches over: budget, seed and listener. Subclasses add the
 * process and their algorithm's knobs.
 */
public abstract class SearchBuilder<B extends SearchBuilder<B>> {
  private Budget budget = Budget.unlimited();
  private long seed;
  private SearchListener listener = SearchListener.none();
  private LongSupplier nanoClock = System::nanoTime;

  SearchBuilder() {
  }

  @SuppressWarnings("unchecked")
  final B self() {
    return (B) this;
  }

  public B budget(Budget value) {
    this.budget = Objects.requireNonNull(value, "budget");
    return self();
  }

  public B seed(long value) {
    this.seed = value;
    return self();
  }

  public B listener(SearchListener value) {
    this.listener = Objects.requireNonNull(value, "listener");
    return self();
  }

  /** The clock the deadline reads; tests inject a fake one. */
  B clock(LongSupplier value) {
    this.nanoClock = Objects.requireNonNull(value, "clock");
    return self();
  }

  /** A fresh context for one run. */
  final SearchContext newContext() {
    return SearchContext.builder().seed(seed).budget(budget).listener(listener).nanoClock(nanoClock).build();
  }

  static int requireAtLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
    return value;
  }
}
