package dev.ponder.engine;

import dev.ponder.engine.SearchResult.Candidate;
import java.util.List;

/**
 * A stepwise generative process that search algorithms drive: a language model decoding a prompt, a diffusion
 * model denoising a noise draw. {@code S} is an opaque hypothesis handle that may hold native memory (KV-cache
 * rows, latents).
 *
 * <p>Ownership: {@link #start} and {@link #fork} hand out hypotheses; {@link #advance} consumes the hypotheses it
 * is given and returns their successors in the same order (the same handles, moved on one step); to keep a
 * snapshot, fork first. Every hypothesis must eventually be {@link #release released}; {@link #close} releases
 * whatever is left.
 *
 * <p>Not thread-safe: one search drives a process from one thread.
 */
public interface GenerativeProcess<S> extends AutoCloseable {

  /** {@code n} fresh hypotheses; they share whatever the process can share (a prompt's prefill). */
  List<S> start(int n, SearchContext ctx);

  /** One batched step for all given (non-terminal) hypotheses: one model call per step, never one per hypothesis. */
  List<S> advance(List<S> live, SearchContext ctx);

  /**
   * Whether {@link #advanceGreedy} is supported: a step that makes no random choice, for look-ahead roll-outs (a
   * language model's temperature-0 step). Searches that roll out use it when it is there, the ordinary seeded
   * {@link #advance} otherwise.
   */
  default boolean hasGreedyStep() {
    return false;
  }

  /**
   * One step like {@link #advance} that makes no random choice (the most likely continuation): the same state always
   * rolls out the same way. Supported only where {@link #hasGreedyStep} says so.
   *
   * @throws UnsupportedOperationException when this process has no greedy step
   */
  default List<S> advanceGreedy(List<S> live, SearchContext ctx) {
    throw new UnsupportedOperationException(getClass().getName() + " has no greedy step; check hasGreedyStep()");
  }

  /** A cheap copy that shares its parent's history (KV prefix, latent). */
  S fork(S parent, SearchContext ctx);

  boolean isTerminal(S hypothesis);

  /** A stable id for events and for the random streams. */
  long lineage(S hypothesis);

  /** The hypothesis as a result, with the given score. */
  Candidate toCandidate(S hypothesis, double score);

  /** Frees the hypothesis's native memory; releasing twice is a no-op. */
  void release(S hypothesis);

  @Override
  void close();
}
