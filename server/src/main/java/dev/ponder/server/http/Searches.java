package dev.ponder.server.http;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LmHypothesis;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Runs one request's search the way every endpoint must: check it fits the models, wait for a worker (or 429),
 * cancel it when the client goes away, count it in the metrics. Bad input the engine rejects while running
 * (an {@link IllegalArgumentException}, e.g. a prompt longer than the model's context) becomes a 400.
 */
public final class Searches {
  private final SearchRunner runner;
  private final Admission admission;
  private final ServerMetrics metrics;

  public Searches(SearchRunner runner, Admission admission, ServerMetrics metrics) {
    this.runner = runner;
    this.admission = admission;
    this.metrics = metrics;
  }

  public SearchResult run(Exchange x, String model, String prompt, SearchSpec spec, SearchListener listener)
      throws InterruptedException {
    return run(x, model, prompt, spec, listener, r -> r);
  }

  /** Like {@link #run}, then {@code after} on the same worker (e.g. scoring the chosen texts' tokens). */
  public <R> R run(Exchange x, String model, String prompt, SearchSpec spec, SearchListener listener,
      Function<SearchResult, R> after) throws InterruptedException {
    return run(x, model, prompt, spec, listener, after, null);
  }

  /**
   * Like {@link #run}, plain sampling running over {@code samples} (its text streamed as generated); a failed write
   * there cancels the search as a failed event write does.
   */
  public <R> R run(Exchange x, String model, String prompt, SearchSpec spec, SearchListener listener,
      Function<SearchResult, R> after,
      Function<GenerativeProcess<LmHypothesis>, StreamedSamples> samples) throws InterruptedException {
    x.tag(model, spec.algorithm());
    runner.validate(model, spec, prompt != null);
    Cancellation cancellation = new Cancellation(Thread.currentThread());
    x.request().addFailureListener(t -> cancellation.cancel("the connection failed: " + t));
    try (DisconnectWatch watch = x.watchDisconnect(cancellation); Admission.Permit permit = admission.enter()) {
      long start = System.nanoTime();
      if (cancellation.isCancelled()) {
        metrics.search(spec.algorithm(), "cancelled", 0, null);
        throw new Cancellation.ClientGone("the client left while the request was queued");
      }
      try {
        UnaryOperator<GenerativeProcess<LmHypothesis>> wrap =
            samples == null ? null : p -> {
              StreamedSamples streamed = samples.apply(p);
              streamed.onClientGone(cancellation::cancel);
              return streamed;
            };
        SearchResult result = cancellation.during(() -> runner.run(model, prompt, spec, cancellation.guard(listener),
            wrap));
        metrics.search(spec.algorithm(), result.outcome().name().toLowerCase(Locale.ROOT),
            System.nanoTime() - start, result.stats());
        R answer = cancellation.isCancelled() ? null : cancellation.during(() -> after.apply(result));
        watch.close();
        if (cancellation.isCancelled()) {
          throw new Cancellation.ClientGone(cancellation.reason());
        }
        if (watch.consumedInput()) {
          x.closeConnection();
        }
        return answer;
      } catch (ApiError | Cancellation.ClientGone e) {
        throw e;
      } catch (IllegalArgumentException e) {
        metrics.search(spec.algorithm(), "rejected", System.nanoTime() - start, null);
        String message = runner.forClient(e.getMessage() == null ? e.toString() : e.getMessage());
        boolean aboutPrompt = message.contains("prompt") || message.contains("of the text");
        throw ApiError.invalid(aboutPrompt && prompt != null ? "prompt" : null, message);
      } catch (RuntimeException e) {
        metrics.search(spec.algorithm(), "failed", System.nanoTime() - start, null);
        throw e;
      }
    }
  }
}
