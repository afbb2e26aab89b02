package dev.ponder.samplers;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionSampling;
import java.util.Objects;

/**
 * What every search over a diffusion model is configured with: the sampler (DDPM, or DDIM with eta), plus the
 * budget, seed and listener of every search. Subclasses add their algorithm's knobs and implement {@link #search}.
 */
public abstract class DiffusionSearchBuilder<B extends DiffusionSearchBuilder<B>> extends SearchBuilder<B> {
  protected final DiffusionModel model;
  protected DiffusionSampling sampling;

  DiffusionSearchBuilder(DiffusionModel model, DiffusionSampling defaultSampling) {
    this.model = Objects.requireNonNull(model, "model");
    this.sampling = defaultSampling;
  }

  /** The reverse-process sampler; its step count is the number of denoiser calls per sample. */
  public B sampling(DiffusionSampling value) {
    this.sampling = Objects.requireNonNull(value, "sampling");
    return self();
  }

  /** Runs the search from fresh noise drawn from the seed. */
  public SearchResult run() {
    SearchContext ctx = newContext();
    try (DiffusionProcess process = model.process(sampling)) {
      return search(process, ctx);
    }
  }

  abstract SearchResult search(DiffusionProcess process, SearchContext ctx);
}
