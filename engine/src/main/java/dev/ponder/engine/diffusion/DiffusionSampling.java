package dev.ponder.engine.diffusion;

import java.util.Objects;

/**
 * How a diffusion process samples: which reverse-time update and how many inference steps.
 *
 * <ul>
 *   <li>{@link Kind#DDPM}: ancestral sampling (Ho, Jain and Abbeel, "Denoising Diffusion Probabilistic Models",
 *       NeurIPS 2020), as diffusers' {@code DDPMScheduler.step}; always stochastic, {@code eta} is 1 by definition.
 *       </li>
 *   <li>{@link Kind#DDIM}: the implicit sampler (Song, Meng and Ermon, "Denoising Diffusion Implicit Models",
 *       ICLR 2021), as diffusers' {@code DDIMScheduler.step}; {@code eta = 0} is deterministic, {@code eta = 1}
 *       has DDPM's variance on the strided steps.</li>
 * </ul>
 *
 * <p>{@code steps} must lie in [1, num_train_timesteps]; the upper bound is checked when
 * {@link DiffusionModel#process} meets the schedule.
 *
 * @param kind  the update rule
 * @param steps inference steps, at least 1
 * @param eta   DDIM's noise scale in [0, 1]; exactly 1 for DDPM
 */
public record DiffusionSampling(Kind kind, int steps, double eta) {

  /** The reverse-time update rule. */
  public enum Kind { DDPM, DDIM }

  public DiffusionSampling {
    Objects.requireNonNull(kind, "kind");
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1 (one denoiser call per step), was " + steps
          + "; pass the number of inference steps, e.g. 50");
    }
    if (!Double.isFinite(eta) || eta < 0 || eta > 1) {
      throw new IllegalArgumentException("eta must be a finite number in [0, 1], was " + eta
          + "; use 0 for deterministic DDIM, 1 for DDPM-like variance");
    }
    if (kind == Kind.DDPM && eta != 1) {
      throw new IllegalArgumentException("DDPM sampling has eta = 1 by definition, was " + eta
          + "; use DiffusionSampling.ddpm(steps), or DiffusionSampling.ddim(steps, eta) for another eta");
    }
  }

  /** DDIM with the given noise scale ({@code 0} = deterministic). */
  public static DiffusionSampling ddim(int steps, double eta) {
    return new DiffusionSampling(Kind.DDIM, steps, eta);
  }

  /** Ancestral DDPM sampling over {@code steps} strided steps (variance from the scheduler's variance_type). */
  public static DiffusionSampling ddpm(int steps) {
    return new DiffusionSampling(Kind.DDPM, steps, 1.0);
  }

  /** True when the sampler draws fresh noise at each step (DDPM, or DDIM with eta &gt; 0). */
  public boolean isStochastic() {
    return kind == Kind.DDPM || eta > 0;
  }
}
