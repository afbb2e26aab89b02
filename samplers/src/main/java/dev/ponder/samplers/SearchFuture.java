package dev.ponder.samplers;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import java.util.concurrent.CompletableFuture;

/**
 * The future of a search running on an executor: {@link #cancel} also cancels the search's context, so the search
 * stops before its next model or scorer call and frees its hypotheses. The future itself completes with a
 * {@link java.util.concurrent.CancellationException} at once, as {@link CompletableFuture} requires.
 */
final class SearchFuture extends CompletableFuture<SearchResult> {
  private volatile SearchContext ctx;
  private volatile boolean cancelRequested;

  /** Binds the running search; false when the future was cancelled first (then the search must not start). */
  boolean start(SearchContext context) {
    this.ctx = context;
    if (cancelRequested) {
      context.cancel();
      return false;
    }
    return true;
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    cancelRequested = true;
    SearchContext running = ctx;
    if (running != null) {
      running.cancel();
    }
    return super.cancel(mayInterruptIfRunning);
  }
}
