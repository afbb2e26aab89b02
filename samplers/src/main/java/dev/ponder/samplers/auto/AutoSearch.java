package dev.ponder.samplers.auto;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.Search;
import dev.ponder.samplers.core.ProcessSource;
import java.util.Objects;
import java.util.function.Function;

/**
 * Compute-optimal search over any process: a probe round of a few samples scored by the outcome scorer, the
 * prompt's difficulty read from it (answer agreement, best and mean score, mean token entropy where the hypotheses
 * offer it), and an {@link AutoRule} that chooses what to spend next: keep the probe's pick, continue best-of-N up
 * to N (the probe's samples are the first N's first ones, so none is wasted), or run a process-guided search
 * (step beam, SMC) guided by the caller's {@link #processScorer} (or any search given to {@link #guided}). Within the caller's budget: with a token limit,
 * N is cut to what the probe's cost per sample says still fits. The result's trace is a
 * {@link dev.ponder.engine.SearchTrace.Auto} naming the choice, the clause that made it and the features.
 *
 * <p>Ranking: best-of-N by score (argmax; ties in draw order, as {@code Search.bestOfN}); after a process-guided
 * search, its candidates first, then the probe's.
 */
public final class AutoSearch<S> extends ProcessSearch<S, AutoSearch<S>> {
  /** Task-agnostic: probe 4; stop when all four agree, otherwise best-of-16. Fit your own for a task. */
  public static final AutoRule DEFAULT_RULE = AutoRule.parse("""
      probe 4
      when agreement >= 1 stop
      otherwise bon 16
      """);

  private final OutcomeScorer<S> scorer;
  private AutoRule rule = DEFAULT_RULE;
  private Function<String, String> answerOf = String::trim;
  private Function<AutoRule.Choice, ProcessSearch<S, ?>> guided;

  public AutoSearch(ProcessSource<S> source, OutcomeScorer<S> scorer) {
    super(source);
    this.scorer = Objects.requireNonNull(scorer, "scorer");
  }

  /** The rule that reads the probe (default {@link #DEFAULT_RULE}). */
  public AutoSearch<S> rule(AutoRule value) {
    this.rule = Objects.requireNonNull(value, "rule");
    return this;
  }

  /** How to find the answer in a sample's text, for the agreement feature (default: the whole text, trimmed). */
  public AutoSearch<S> answers(Function<String, String> extractor) {
    this.answerOf = Objects.requireNonNull(extractor, "extractor");
    return this;
  }

  /**
   * The search to run for a step-beam or SMC choice (for example {@code c -> Search.particleFilter(prm)
   * .particles(c.n())}); it runs over the same process and context, so within the same budget. Its seed, budget
   * and listener are this search's.
   */
  public AutoSearch<S> guided(Function<AutoRule.Choice, ProcessSearch<S, ?>> searches) {
    this.guided = Objects.requireNonNull(searches, "searches");
    return this;
  }

  /**
   * The process-guided searches with their defaults, guided by {@code prm}: a {@code step-beam N} choice runs
   * {@code Search.stepBeam(prm).n(N).m(4)}, an {@code smc N} one {@code Search.particleFilter(prm).particles(N)}.
   * For other knobs, use {@link #guided}.
   */
  public AutoSearch<S> processScorer(ProcessScorer<S> prm) {
    Objects.requireNonNull(prm, "prm");
    return guided(c -> c.kind() == AutoRule.Kind.SMC ? Search.particleFilter(prm).particles(c.n())
        : Search.stepBeam(prm).n(c.n()).m(Math.min(4, c.n())));
  }

  @Override
  protected SearchResult search(GenerativeProcess<S> process, SearchContext ctx) {
    if (rule.needsProcessScorer() && guided == null) {
      throw new IllegalArgumentException("the auto rule can choose a process-guided search (" + rule.toText()
          .replace('\n', ';') + ") but none was given; call processScorer(prm) or guided(choice -> ...)");
    }
    return new AutoRun<>(process, scorer, rule, answerOf, choice -> {
      ProcessSearch<S, ?> inner = guided.apply(choice);
      return searchWithin(Objects.requireNonNull(inner, "guided search for " + choice.name()), process, ctx);
    }, ctx).run();
  }
}
