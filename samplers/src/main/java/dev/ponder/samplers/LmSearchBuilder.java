package dev.ponder.samplers;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmProcess;
import java.util.Objects;

/**
 * What every language-model search is configured with: decoding, plus the budget, seed and listener of every
 * search. Subclasses add their algorithm's knobs and implement {@link #search}.
 */
public abstract class LmSearchBuilder<B extends LmSearchBuilder<B>> extends SearchBuilder<B> {
  protected final LanguageModel policy;
  protected Decoding decoding;

  LmSearchBuilder(LanguageModel policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
  }

  public B decoding(Decoding value) {
    this.decoding = Objects.requireNonNull(value, "decoding");
    return self();
  }

  /** Runs the search on one prompt; the process and its native memory are freed before this returns. */
  public SearchResult run(String prompt) {
    SearchContext ctx = newContext();
    try (LmProcess process = policy.process(prompt, decoding)) {
      return search(process, ctx);
    }
  }

  abstract SearchResult search(LmProcess process, SearchContext ctx);
}
