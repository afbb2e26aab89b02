package dev.ponder.samplers.bestofn;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.core.RoundDriver;
import java.util.Objects;
import java.util.function.Function;

/**
 * Best-of-N over any process (see {@link BestOfN}): N samples, each distinct output scored once by the outcome
 * scorer, one picked by the {@link Selection} (argmax by default). Weighted and majority selection group samples
 * by the answer the extractor finds in the text (by default the whole text, trimmed). Optionally, weak samples are
 * pruned part-way by a (cheaper) process scorer.
 */
public final class BestOfNSearch<S> extends ProcessSearch<S, BestOfNSearch<S>> {
  private final OutcomeScorer<S> scorer;
  private int n;
  private Selection selection = Selection.argmax();
  private Function<String, String> answerOf = String::trim;
  private int pruneAfter = -1;
  private int keep;
  private ProcessScorer<S> pruneScorer;
  private int wave;
  private AdaptiveBestOfN.Rule stopRule;

  public BestOfNSearch(ProcessSource<S> source, OutcomeScorer<S> scorer, int defaultN) {
    super(source);
    this.scorer = Objects.requireNonNull(scorer, "scorer");
    this.n = defaultN;
  }

  public BestOfNSearch<S> n(int value) {
    this.n = requireAtLeast("n", value, 1);
    return this;
  }

  /** The same as {@link #n}, under the name the diffusion searches use. */
  public BestOfNSearch<S> samples(int value) {
    return n(value);
  }

  public BestOfNSearch<S> selection(Selection value) {
    this.selection = Objects.requireNonNull(value, "selection");
    return this;
  }

  /** How to find the answer in a sample's text, for weighted and majority selection. */
  public BestOfNSearch<S> answers(Function<String, String> extractor) {
    this.answerOf = Objects.requireNonNull(extractor, "extractor");
    return this;
  }

  /**
   * After round {@code step} (counting from 0), keep only the {@code keep} samples that {@code scorer} rates
   * highest and finish those.
   */
  public BestOfNSearch<S> prune(int step, int keep, ProcessScorer<S> scorer) {
    if (pruneScorer != null) {
      throw new IllegalStateException("pruning was already set (after step " + pruneAfter + ", keep " + this.keep + ")");
    }
    this.pruneAfter = requireAtLeast("prune step", step, 0);
    this.keep = requireAtLeast("keep", keep, 1);
    this.pruneScorer = Objects.requireNonNull(scorer, "prune scorer");
    return this;
  }

  /**
   * Draws the N samples in waves of {@code size} and stops after the first wave in which some output scores at
   * least {@code threshold} (say 1.0 for a checker's "correct"): fewer samples when the answer is found early. The
   * samples drawn are exactly the first ones of the full search. Default wave: 4.
   */
  public BestOfNSearch<S> stopAtScore(double threshold) {
    if (Double.isNaN(threshold)) {
      throw new IllegalArgumentException("the stop threshold must be a number, was NaN");
    }
    return stopRule(new AdaptiveBestOfN.Rule.ScoreAtLeast(threshold));
  }

  /**
   * Self-consistency that stops when its majority is settled: waves of samples until the leading answer (by the
   * extractor of {@link #answers}) leads the runner-up with posterior probability at least {@code confidence}
   * (Beta(a + 1, b + 1) over the leader's share of the two), or N are drawn. Use with
   * {@link Selection#majority()}. Default wave: 4.
   */
  public BestOfNSearch<S> stopWhenSettled(double confidence) {
    if (!(confidence > 0.5 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be in (0.5, 1), was " + confidence
          + "; 0.95 stops once the leading answer leads with posterior probability 0.95");
    }
    return stopRule(new AdaptiveBestOfN.Rule.Settled(confidence));
  }

  /** The samples drawn together between two checks of the stop rule (default 4). */
  public BestOfNSearch<S> waves(int size) {
    this.wave = requireAtLeast("wave size", size, 1);
    return this;
  }

  private BestOfNSearch<S> stopRule(AdaptiveBestOfN.Rule rule) {
    if (stopRule != null) {
      throw new IllegalStateException("a stop rule was already set: " + stopRule);
    }
    this.stopRule = rule;
    return this;
  }

  @Override
  protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
    if (stopRule != null) {
      if (pruneScorer != null) {
        throw new IllegalArgumentException("pruning and a stop rule do not combine: pruning ranks one batch part-way,"
            + " a stop rule draws the samples in waves; choose one");
      }
      return RoundDriver.run(new AdaptiveBestOfN<>(process, n, wave == 0 ? 4 : wave, scorer, selection, answerOf,
          stopRule, ctx), ctx);
    }
    if (wave != 0) {
      throw new IllegalArgumentException("waves(" + wave + ") needs a stop rule (stopAtScore or stopWhenSettled):"
          + " without one, all N samples are drawn together");
    }
    if (pruneScorer != null && keep >= n) {
      throw new IllegalArgumentException("keep must be < samples (" + n + ") to prune anything, was " + keep);
    }
    if (pruneScorer != null && process instanceof dev.ponder.engine.diffusion.DiffusionProcess d
        && pruneAfter >= d.steps() - 1) {
      throw new IllegalArgumentException("prune step must be before the last denoising step (" + (d.steps() - 1)
          + "), was " + pruneAfter);
    }
    BestOfN.Config<S> c = new BestOfN.Config<>(n, scorer, selection, answerOf, pruneAfter, keep, pruneScorer);
    return RoundDriver.run(new BestOfN<>(process, c, ctx), ctx);
  }

  /**
   * Independent sampling: {@code samples} runs of the process decoded together in one batch (a language model's
   * prompt processed once), ranked by their log-probability under the model (draw order for a process without one,
   * such as diffusion). No scorer. The same loop as {@link BestOfNSearch}, without the scoring.
   */
  public static final class SampleSearch<S> extends ProcessSearch<S, SampleSearch<S>> {
    private int samples;

    public SampleSearch(ProcessSource<S> source, int defaultSamples) {
      super(source);
      this.samples = defaultSamples;
    }

    public SampleSearch<S> samples(int n) {
      this.samples = requireAtLeast("samples", n, 1);
      return this;
    }

    @Override
    protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
      BestOfN.Config<S> c = new BestOfN.Config<>(samples, null, Selection.argmax(), String::trim, -1, 0, null);
      return RoundDriver.run(new BestOfN<>(process, c, ctx), ctx);
    }
  }

  /**
   * How best-of-N picks its answer from N scored samples.
   *
   * <ul>
   *   <li>{@link Argmax}: the highest-scoring sample.</li>
   *   <li>{@link Weighted}: the answer whose samples' scores sum highest (weighted best-of-N, Li et al. 2023).</li>
   *   <li>{@link Majority}: the most frequent answer (self-consistency, Wang et al. 2022); scores break ties.</li>
   *   <li>{@link Soft}: one sample drawn with probability proportional to exp(lambda * score) (soft best-of-N,
   *       Verdun et al. 2025); lambda -> infinity is argmax, lambda = 0 is plain sampling.</li>
   * </ul>
   */
  public sealed interface Selection {
    record Argmax() implements Selection {}

    record Weighted() implements Selection {}

    record Majority() implements Selection {}

    record Soft(double lambda) implements Selection {
      public Soft {
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
          throw new IllegalArgumentException("soft best-of-N lambda must be finite and >= 0, was " + lambda);
        }
      }
    }

    static Selection argmax() {
      return new Argmax();
    }

    static Selection weighted() {
      return new Weighted();
    }

    static Selection majority() {
      return new Majority();
    }

    static Selection soft(double lambda) {
      return new Soft(lambda);
    }
  }
}
