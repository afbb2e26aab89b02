package dev.ponder.engine.diffusion;

import dev.ponder.engine.NoiseGenerator;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.diffusion.DiffusionModel.DiffusionSampling;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reverse diffusion as a stepwise process: each hypothesis is a {@link Latent} that goes from x_T ~ N(0, I) to
 * x_0 in {@link #steps()} denoising steps, by DDPM (Ho et al. 2020) or DDIM (Song et al. 2021) as diffusers'
 * schedulers compute them (see {@link DiffusionSampling}). One {@link #advance} is one batched denoiser call for
 * all live hypotheses, which may sit at different steps (each is fed its own timestep).
 *
 * <p>Semantics. The x0 prediction is clipped to [-r, r] when the schedule's clip_sample is set; DDIM then
 * re-derives eps from the clipped x0 (diffusers' {@code use_clipped_model_output=True}); DDIM's step after t = 0
 * uses abar = 1 under set_alpha_to_one. DDIM's previous timestep is {@code t - T / n} (integer division), DDPM's
 * the next inference timestep (diffusers 0.35), both -1 past the last, where abar_prev = 1 for DDPM.
 *
 * <p>Randomness and lineage. The i-th hypothesis this process starts (counting over all {@link #start} and
 * {@link #startFrom} calls) has lineage {@code RandomStreams.childLineage(0, i)}; the k-th fork of a parent has
 * {@code childLineage(parent, k)}. x_T[j] = {@code gaussian(lineage, -1, NOISE, j)} and the fresh noise of step
 * k (0-based) is {@code gaussian(lineage, k, NOISE, j)}, so a hypothesis's path does not depend on batch size or
 * order. With eta = 0 a fork follows its parent exactly; with DDPM or eta &gt; 0 the two diverge.
 *
 * <p>Counters: per advance, 1 model call; per hypothesis stepped, 1 policy token and 1 generated token (one
 * row-step counts as one token). Not thread-safe; {@link #close()} frees nothing of the model's and is
 * idempotent.
 */
public final class DiffusionProcess extends LatentProcess implements NoiseGenerator {
  private final DiffusionModel model;
  private final NoiseSchedule schedule;
  private final DiffusionSampling sampling;
  private final int[] timesteps;

  DiffusionProcess(DiffusionModel model, DiffusionSampling sampling, int[] timesteps) {
    super("diffusion", timesteps);
    this.model = model;
    this.schedule = model.schedule();
    this.sampling = sampling;
    this.timesteps = timesteps;
  }

  public DiffusionSampling sampling() {
    return sampling;
  }

  /** The total number of inference steps. */
  public int steps() {
    return timesteps.length;
  }

  /** The inference timesteps, noisiest first (a copy). */
  public int[] timesteps() {
    return timesteps.clone();
  }

  /** D, the length of a sample. */
  public int dimension() {
    return model.dimension();
  }

  /** abar at the hypothesis's current {@link Latent#timestep()}: 1 once terminal (the sample is x_0). */
  public double alphaCumprodAt(Latent h) {
    return h.isTerminal() ? 1.0 : schedule.alphaCumprod(h.timestep());
  }

  /** Hypotheses that start from the given x_T vectors (each of length D; copied), lineages as {@link #start}. */
  public List<Latent> startFrom(List<float[]> noises, SearchContext ctx) {
    requireOpen();
    List<Latent> out = new ArrayList<>(noises.size());
    for (int i = 0; i < noises.size(); i++) {
      out.add(startAt(noises.get(i), i));
    }
    return out;
  }

  @Override
  public List<Latent> advance(List<Latent> live, SearchContext ctx) {
    requireOpen();
    Set<Latent> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    float[][] rows = new float[live.size()][];
    int[] ts = new int[live.size()];
    for (int i = 0; i < live.size(); i++) {
      Latent h = live.get(i);
      requireUsable(h);
      if (h.isTerminal()) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " is terminal (all " + steps()
            + " steps taken); advance only live hypotheses (filter with isTerminal)");
      }
      if (!seen.add(h)) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " appears twice in one advance; fork it to"
            + " step a copy");
      }
      rows[i] = Latent.toFloats(h.x);
      ts[i] = h.timestep();
    }
    float[][] eps = model.predictNoise(rows, ts, ctx);
    ctx.counters().addGeneratedTokens(live.size());
    boolean previews = ctx.isListening();
    for (int i = 0; i < live.size(); i++) {
      Latent h = live.get(i);
      step(h, eps[i], ctx);
      if (previews) {
        ctx.emit(new SearchEvent.Preview(h.lineage, h.stepsTaken, h.x0Prediction()));
      }
    }
    return live;
  }

  private void step(Latent h, float[] eps, SearchContext ctx) {
    int k = h.stepsTaken;
    int t = timesteps[k];
    if (h.x0 == null) {
      h.x0 = new double[h.x.length];
    }
    ReverseStep.Noise noise = ReverseStep.Noise.of(ctx.random(), h.lineage, k);
    double abarT = schedule.alphaCumprod(t);
    if (sampling.kind() == DiffusionSampling.Kind.DDIM) {
      int prev = t - schedule.numTrainTimesteps() / timesteps.length;
      double abarPrev = prev >= 0 ? schedule.alphaCumprod(prev) : schedule.finalAlphaCumprod();
      ReverseStep.ddim(h.x, eps, abarT, abarPrev, sampling.eta(), schedule, h.x0, noise);
    } else {
      int prev = k + 1 < timesteps.length ? timesteps[k + 1] : -1;
      double abarPrev = prev >= 0 ? schedule.alphaCumprod(prev) : 1.0;
      ReverseStep.ddpm(h.x, eps, t, abarT, abarPrev, schedule, h.x0, noise);
    }
    h.stepsTaken = k + 1;
  }

  /** D, the length of a noise vector x_T. */
  @Override
  public int noiseDimension() {
    return model.dimension();
  }

  /**
   * Runs the sampler from each x_T to x_0 in {@link #steps()} batched calls. Row i uses lineage
   * {@code childLineage(0, i)} whatever this process did before, so the result is a pure function of the noise
   * and the seed: deterministic in the noise alone when eta = 0, seeded by ctx's streams otherwise.
   */
  @Override
  public float[][] generate(float[][] noise, SearchContext ctx) {
    requireOpen();
    List<Latent> live = new ArrayList<>(noise.length);
    for (int i = 0; i < noise.length; i++) {
      live.add(atPosition(noise[i], i));
    }
    for (int k = 0; k < timesteps.length; k++) {
      advance(live, ctx);
    }
    float[][] out = new float[noise.length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = live.get(i).sample();
    }
    return out;
  }

  @Override
  int latentDimension() {
    return model.dimension();
  }
}
