package dev.ponder.engine;

import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.List;

/**
 * The typed events every algorithm emits to a {@link SearchListener}. Hypotheses are named by their lineage id,
 * which is stable for the whole search (see {@link RandomStreams}).
 */
public sealed interface SearchEvent {

  /** One batched step began over {@code live} hypotheses. */
  record Step(int step, int live) implements SearchEvent {}

  /** A hypothesis was forked into children. */
  record Expand(long parent, List<Long> children) implements SearchEvent {}

  /** A scorer scored a hypothesis. */
  record Score(long lineage, String scorer, double score) implements SearchEvent {}

  /**
   * Particles were reweighted and resampled; {@code ancestors[i]} is the index (in the previous population)
   * of the parent of particle {@code i}. {@code ess} is the effective sample size before resampling.
   */
  record Resample(int step, double ess, List<Integer> ancestors) implements SearchEvent {}

  /** A verifier's NaN or infinite score was replaced by a configured policy (never silently). */
  record BadScore(String verifier, String input, double value, double replacement) implements SearchEvent {}

  /** A hypothesis was dropped. */
  record Prune(long lineage, String reason) implements SearchEvent {}

  /** A hypothesis reached a terminal state, with its generated text so far. */
  record Finish(long lineage, String text) implements SearchEvent {}

  /**
   * A continuous process's current estimate of a hypothesis's final sample, for watching it form: a diffusion
   * particle's x_0 prediction after step {@code step} (1-based count of steps taken). Emitted only while someone
   * listens ({@link SearchContext#isListening()}); {@code sample} is a copy the listener may keep.
   */
  record Preview(long lineage, int step, float[] sample) implements SearchEvent {}

  /** The search ended. */
  record Done(StopReason stopReason, SearchStats stats) implements SearchEvent {
    public Outcome outcome() {
      return stopReason.outcome();
    }
  }

  /** Receives a search's events on the searching thread, in order. Must not block for long. */
  @FunctionalInterface
  public interface SearchListener {

    void onEvent(SearchEvent event);

    /** A listener that ignores everything: the default, so hot paths never check for null. */
    static SearchListener none() {
      return NoListener.INSTANCE;
    }
  }
}
