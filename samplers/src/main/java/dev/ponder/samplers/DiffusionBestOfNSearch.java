package dev.ponder.samplers;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.diffusion.DiffusionModel;
import dev.ponder.engine.diffusion.DiffusionProcess;
import dev.ponder.engine.diffusion.DiffusionSampling;
import dev.ponder.engine.diffusion.Latent;
import java.util.Objects;

/**
 * Search over noise: N noise draws denoised together (one batched call per step), each final sample scored by an
 * outcome scorer, the best first. Optionally, weak candidates are pruned part-way with a (cheaper, noise-aware)
 * process scorer, so that the full denoising is spent only on the promising draws. Without a scorer it is plain
 * (unsteered) sampling, candidates in draw order. Default sampler: DDIM 50 steps, eta 0.
 */
public final class DiffusionBestOfNSearch extends DiffusionSearchBuilder<DiffusionBestOfNSearch> {
  private final OutcomeScorer<Latent> scorer;
  private int samples = 8;
  private int pruneAfter = -1;
  private int keep;
  private ProcessScorer<Latent> pruneScorer;

  DiffusionBestOfNSearch(DiffusionModel model, OutcomeScorer<Latent> scorer) {
    super(model, DiffusionSampling.ddim(50, 0.0));
    this.scorer = scorer;
  }

  public DiffusionBestOfNSearch samples(int n) {
    this.samples = requireAtLeast("samples", n, 1);
    return this;
  }

  /**
   * After denoising step {@code step} (counting from 0), keep only the {@code keep} draws that {@code scorer} rates
   * highest and finish those.
   */
  public DiffusionBestOfNSearch prune(int step, int keep, ProcessScorer<Latent> scorer) {
    if (pruneScorer != null) {
      throw new IllegalStateException("pruning was already set (after step " + pruneAfter + ", keep " + this.keep + ")");
    }
    this.pruneAfter = requireAtLeast("prune step", step, 0);
    this.keep = requireAtLeast("keep", keep, 1);
    this.pruneScorer = Objects.requireNonNull(scorer, "prune scorer");
    return this;
  }

  @Override
  SearchResult search(DiffusionProcess process, SearchContext ctx) {
    if (pruneScorer != null && pruneAfter >= process.steps() - 1) {
      throw new IllegalArgumentException("prune step must be before the last denoising step (" + (process.steps() - 1)
          + "), was " + pruneAfter);
    }
    if (pruneScorer != null && keep >= samples) {
      throw new IllegalArgumentException("keep must be < samples (" + samples + ") to prune anything, was " + keep);
    }
    return NoiseBestOfN.run(process, samples, scorer, pruneAfter, keep, pruneScorer, ctx);
  }
}
