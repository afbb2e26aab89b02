package dev.ponder.samplers;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import java.util.Objects;
import java.util.function.Function;

/**
 * Best-of-N over a language model: N samples, each distinct text scored once by the outcome scorer, one picked
 * by the {@link Selection} (argmax by default). Weighted and majority selection group samples by the answer the
 * extractor finds in the text (by default the whole text, trimmed).
 */
public final class BestOfNSearch extends LmSearchBuilder<BestOfNSearch> {
  private final OutcomeScorer<LmHypothesis> scorer;
  private int n = 4;
  private Selection selection = Selection.argmax();
  private Function<String, String> answerOf = String::trim;

  BestOfNSearch(LanguageModel policy, OutcomeScorer<LmHypothesis> scorer) {
    super(policy);
    this.scorer = Objects.requireNonNull(scorer, "scorer");
  }

  public BestOfNSearch n(int value) {
    this.n = requireAtLeast("n", value, 1);
    return this;
  }

  public BestOfNSearch selection(Selection value) {
    this.selection = Objects.requireNonNull(value, "selection");
    return this;
  }

  /** How to find the answer in a sample's text, for weighted and majority selection. */
  public BestOfNSearch answers(Function<String, String> extractor) {
    this.answerOf = Objects.requireNonNull(extractor, "extractor");
    return this;
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    return BestOfN.run(process, n, scorer, selection, answerOf, ctx);
  }
}
