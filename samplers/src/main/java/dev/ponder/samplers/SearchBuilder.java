package dev.ponder.samplers;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.noise.NoiseSearchBuilder;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What every search is configured with, whatever it searches over: budget, seed and listener; and how it runs:
 * on the calling thread ({@code run}, which honours {@link Thread#interrupt()}) or on an executor
 * ({@code runAsync}, whose future's {@code cancel} stops the search). Subclasses add the process and their
 * algorithm's knobs.
 */
public abstract sealed class SearchBuilder<B extends SearchBuilder<B>> permits ProcessSearch, NoiseSearchBuilder {
  private Budget budget = Budget.unlimited();
  private long seed;
  private SearchListener listener = SearchListener.none();
  private LongSupplier nanoClock = System::nanoTime;

  protected SearchBuilder() {
  }

  @SuppressWarnings("unchecked")
  protected final B self() {
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

  /** The clock the deadline reads ({@link System#nanoTime} by default); tests and simulations inject their own. */
  public B clock(LongSupplier value) {
    this.nanoClock = Objects.requireNonNull(value, "clock");
    return self();
  }

  /** A fresh context for one run, with this builder's settings as they are now. */
  protected final SearchContext newContext() {
    return settings().newContext();
  }

  private Settings settings() {
    return new Settings(budget, seed, listener, nanoClock);
  }

  /** The settings of one run, fixed when it is submitted. */
  private record Settings(Budget budget, long seed, SearchListener listener, LongSupplier nanoClock) {
    SearchContext newContext() {
      return SearchContext.builder().seed(seed).budget(budget).listener(listener).nanoClock(nanoClock).build();
    }
  }

  /**
   * Runs {@code search} on {@code executor} with a context made now (so later builder changes do not reach it;
   * the deadline counts from when the search starts, not from submission). The future's {@code cancel} cancels
   * the search: it stops before its next model or scorer call and releases its native memory on its own thread.
   */
  protected final CompletableFuture<SearchResult> submit(Function<SearchContext, SearchResult> search, Executor executor) {
    Objects.requireNonNull(executor, "executor");
    Settings settings = settings();
    SearchFuture future = new SearchFuture();
    executor.execute(() -> {
      SearchContext ctx = settings.newContext();
      if (!future.start(ctx)) {
        // Cancelled before it started: nothing was made, but the listener still sees the one Done of every search.
        ctx.emit(new SearchEvent.Done(ctx.stopReason(), ctx.stats()));
        return;
      }
      try {
        future.complete(search.apply(ctx));
      } catch (Throwable t) {
        future.completeExceptionally(t);
      }
    });
    return future;
  }

  protected static int requireAtLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
    return value;
  }
}
