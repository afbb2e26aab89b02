package dev.ponder.samplers.bestofn;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.core.ProcessSource;
import dev.ponder.samplers.core.RoundDriver;

/**
 * Independent sampling: {@code samples} runs of the process decoded together in one batch (a language model's
 * prompt processed once), ranked by their log-probability under the model (draw order for a process without one,
 * such as diffusion). No scorer. The same loop as {@link BestOfNSearch}, without the scoring.
 */
public final class SampleSearch<S> extends ProcessSearch<S, SampleSearch<S>> {
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
