package dev.ponder.samplers;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.samplers.auto.AutoSearch;
import dev.ponder.samplers.beam.StepBeamSearch;
import dev.ponder.samplers.beam.TokenBeamSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch;
import dev.ponder.samplers.bestofn.BestOfNSearch.SampleSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.mcts.MctsSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * A search over a {@link GenerativeProcess}: any process, the caller's own included ({@link #run(GenerativeProcess)}).
 * The language-model and diffusion front doors ({@code Search.bestOfN(policy, scorer)},
 * {@code Search.feynmanKac(model, reward)}, ...) are conveniences that also know how to open the process: from a
 * prompt and a {@link #decoding} ({@link #run(String)}), or from fresh noise and a {@link #sampling}
 * ({@link #run()}); they open it for one run and close it before returning.
 *
 * <p>Ownership: a process passed to {@link #run(GenerativeProcess)} stays the caller's (it is not closed); every
 * hypothesis the search creates on it is released before {@code run} returns or throws.
 *
 * @param <S> the process's hypothesis type
 */
public abstract sealed class ProcessSearch<S, B extends ProcessSearch<S, B>> extends SearchBuilder<B>
    permits SampleSearch, BestOfNSearch, StepBeamSearch, TokenBeamSearch, ParticleFilterSearch, MctsSearch,
    AutoSearch {
  private final ProcessSource<S> source;

  /** {@code source}: how the convenience entry points open the process; {@code null} for a generic search. */
  protected ProcessSearch(ProcessSource<S> source) {
    this.source = source;
  }

  /** The language model's decoding for {@link #run(String)}: sampling knobs, step boundary, length limit. */
  public B decoding(Decoding value) {
    Objects.requireNonNull(value, "decoding");
    ((ProcessSource.Lm) requireSource(ProcessSource.Lm.class, "decoding(...)")).decoding = value;
    return self();
  }

  /** The diffusion sampler for {@link #run()}; its step count is the number of denoiser calls per sample. */
  public B sampling(DiffusionSampling value) {
    Objects.requireNonNull(value, "sampling");
    checkSampling(value);
    ((ProcessSource.Diffusion) requireSource(ProcessSource.Diffusion.class, "sampling(...)")).sampling = value;
    return self();
  }

  /** How the convenience entry points open the process; {@code null} for a generic search. */
  protected final ProcessSource<S> source() {
    return source;
  }

  /** A hook for searches that accept only some samplers (Feynman-Kac needs a stochastic one). */
  protected void checkSampling(DiffusionSampling value) {
  }

  /** Runs the search over a process the caller owns (and closes). */
  public SearchResult run(GenerativeProcess<? extends S> process) {
    Objects.requireNonNull(process, "process");
    return search(cast(process), newContext());
  }

  /** Runs the search on one prompt, over the language model this search was made for. */
  public SearchResult run(String prompt) {
    Objects.requireNonNull(prompt, "prompt");
    ProcessSource<S> s = requireSource(ProcessSource.Lm.class, "run(prompt)");
    return runOpened(s, prompt, newContext());
  }

  /** Runs the search from fresh noise drawn from the seed, over the diffusion model this search was made for. */
  public SearchResult run() {
    ProcessSource<S> s = requireSource(ProcessSource.Diffusion.class, "run()");
    return runOpened(s, null, newContext());
  }

  /**
   * {@link #run(String)} on the common fork-join pool; the future's {@code cancel} stops the search. A search blocks
   * its thread in native model calls, so a service running many should pass its own executor
   * ({@link #runAsync(String, Executor)}) rather than share the common pool.
   */
  public CompletableFuture<SearchResult> runAsync(String prompt) {
    return runAsync(prompt, ForkJoinPool.commonPool());
  }

  /** {@link #run(String)} on {@code executor}; the future's {@code cancel} stops the search. */
  public CompletableFuture<SearchResult> runAsync(String prompt, Executor executor) {
    Objects.requireNonNull(prompt, "prompt");
    ProcessSource<S> s = requireSource(ProcessSource.Lm.class, "runAsync(prompt)").copy();
    return submit(ctx -> runOpened(s, prompt, ctx), executor);
  }

  /** {@link #run(GenerativeProcess)} on {@code executor}; the future's {@code cancel} stops the search. */
  public CompletableFuture<SearchResult> runAsync(GenerativeProcess<? extends S> process, Executor executor) {
    Objects.requireNonNull(process, "process");
    GenerativeProcess<S> p = cast(process);
    return submit(ctx -> search(p, ctx), executor);
  }

  private SearchResult runOpened(ProcessSource<S> s, String prompt, SearchContext ctx) {
    try (GenerativeProcess<S> process = s.open(prompt)) {
      return search(process, ctx);
    }
  }

  /** The algorithm over an open process; releases every hypothesis it made. */
  protected abstract SearchResult search(GenerativeProcess<S> process, SearchContext ctx);

  /**
   * Runs {@code search} over a process and context that another search already holds: a search that hands the
   * rest of its work to another ({@code Search.auto}). The inner search's events and final {@code Done} are on
   * that context; its budget, seed and listener settings are not used.
   */
  protected static <T> SearchResult searchWithin(ProcessSearch<T, ?> search, GenerativeProcess<T> process,
      SearchContext ctx) {
    return search.search(process, ctx);
  }

  @SuppressWarnings("unchecked")
  private static <S> GenerativeProcess<S> cast(GenerativeProcess<? extends S> process) {
    // Safe: the search hands the process only hypotheses that the process itself made.
    return (GenerativeProcess<S>) process;
  }

  private ProcessSource<S> requireSource(Class<?> kind, String call) {
    if (!kind.isInstance(source)) {
      String what = source == null ? "a search over a process you pass to run(process)"
          : source instanceof ProcessSource.Lm ? "a language-model search (use decoding(...) and run(prompt))"
          : "a diffusion search (use sampling(...) and run())";
      throw new IllegalStateException(call + " needs a search made for a "
          + (kind == ProcessSource.Lm.class ? "language model" : "diffusion model") + "; this is " + what);
    }
    return source;
  }
}
