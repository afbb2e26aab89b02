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
 * Builder for independent sampling: {@code samples} continuations decoded together in one batch (the prompt
 * processed once), ranked by their log-probability under the model.
 */
public final class SampleSearch {
  private final LanguageModel policy;
  private int samples = 1;
  private Decoding decoding = Decoding.sampling();
  private Budget budget = Budget.unlimited();
  private long seed;
  private SearchListener listener = SearchListener.none();

  SampleSearch(LanguageModel policy) {
    this.policy = policy;
    this.decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
  }

  public SampleSearch samples(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("samples must be >= 1, was " + n);
    }
    this.samples = n;
    return this;
  }

  public SampleSearch decoding(Decoding value) {
    this.decoding = Objects.requireNonNull(value, "decoding");
    return this;
  }

  public SampleSearch budget(Budget value) {
    this.budget = Objects.requireNonNull(value, "budget");
    return this;
  }

  public SampleSearch seed(long value) {
    this.seed = value;
    return this;
  }

  public SampleSearch listener(SearchListener value) {
    this.listener = Objects.requireNonNull(value, "listener");
    return this;
  }

  public SearchResult run(String prompt) {
    SearchContext ctx = SearchContext.builder().seed(seed).budget(budget).listener(listener).build();
    try (LmProcess process = policy.process(prompt, decoding)) {
      return IndependentSampling.run(process, samples, ctx);
    }
  }
}
