package dev.ponder.samplers;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmProcess;

/**
 * Independent sampling: {@code samples} continuations decoded together in one batch (the prompt processed
 * once), ranked by their log-probability under the model. No scorer.
 */
public final class SampleSearch extends LmSearchBuilder<SampleSearch> {
  private int samples = 1;

  SampleSearch(LanguageModel policy) {
    super(policy);
  }

  public SampleSearch samples(int n) {
    this.samples = requireAtLeast("samples", n, 1);
    return this;
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    return IndependentSampling.run(process, samples, ctx);
  }
}
