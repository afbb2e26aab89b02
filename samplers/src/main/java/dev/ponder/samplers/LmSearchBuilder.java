package dev.ponder.samplers;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchListener;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmProcess;
import java.util.Objects;

/**
 * What every language-model search is configured with: decoding, budget, seed and listener. Subclasses add
 * their algorithm's knobs and implement {@link #search}.
 */
public abstract class LmSearchBuilder<B extends LmSearchBuilder<B>> {
  protected final LanguageModel policy;
  protected Decoding decoding;
  private Budget budget = Budget.unlimited();
  private long seed;
  private SearchListener listener = SearchListener.none();

  LmSearchBuilder(LanguageModel policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  public B decoding(Decoding value) {
    this.decoding = Objects.requireNonNull(value, "decoding");
    return self();
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

  /** Runs the search on one prompt; the process and its native memory are freed before this returns. */
  public SearchResult run(String prompt) {
    SearchContext ctx = SearchContext.builder().seed(seed).budget(budget).listener(listener).build();
    try (LmProcess process = policy.process(prompt, decoding)) {
      return search(process, ctx);
    }
  }

  abstract SearchResult search(LmProcess process, SearchContext ctx);

  static int requireAtLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be >= " + min + ", was " + value);
    }
    return value;
  }
}
