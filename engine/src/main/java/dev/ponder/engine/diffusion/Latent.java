package dev.ponder.engine.diffusion;

/**
 * One hypothesis of a diffusion (or one-step generator) process: the current sample x_t, the x_0 prediction made
 * at the last step, the noise x_T it started from and how far it has come. Plain Java arrays, no native memory.
 *
 * <p>Time convention, for noise-aware scorers: with inference timesteps {@code ts} (noisiest first),
 * {@link #timestep()} is {@code ts[k]} after k steps (so {@code ts[0]} for a fresh hypothesis, whose sample is
 * x_T) and 0 once terminal, when the sample is x_0. The state is kept in double precision; the getters return
 * float copies. Not thread-safe; owned by the process that made it.
 */
public final class Latent {
  final Object owner;
  final long lineage;
  final int[] timesteps;
  final float[] initialNoise;
  double[] x;
  double[] x0;
  int stepsTaken;
  int forks;
  boolean released;

  Latent(Object owner, long lineage, int[] timesteps, float[] initialNoise) {
    this.owner = owner;
    this.lineage = lineage;
    this.timesteps = timesteps;
    this.initialNoise = initialNoise;
    this.x = new double[initialNoise.length];
    for (int j = 0; j < x.length; j++) {
      x[j] = initialNoise[j];
    }
  }

  /** A deep copy under a new lineage (its own fork counter starts at 0). */
  Latent copyAs(long childLineage) {
    Latent c = new Latent(owner, childLineage, timesteps, initialNoise);
    c.x = x.clone();
    c.x0 = x0 == null ? null : x0.clone();
    c.stepsTaken = stepsTaken;
    return c;
  }

  /** The stable id that keys this hypothesis's random streams. */
  public long lineage() {
    return lineage;
  }

  /** A copy of the current sample x_t (x_0 once terminal). */
  public float[] sample() {
    return toFloats(x);
  }

  /**
   * A copy of the x_0 prediction made at the last step taken (Tweedie's estimate
   * {@code (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)}, clipped when the scheduler clips; the sample itself for
   * a one-step generator), or {@code null} before the first step.
   */
  public float[] x0Prediction() {
    return x0 == null ? null : toFloats(x0);
  }

  /** The diffusion time of the current sample: {@code timesteps[stepsTaken]}, or 0 when terminal. */
  public int timestep() {
    return isTerminal() ? 0 : timesteps[stepsTaken];
  }

  /** Denoising steps taken so far. */
  public int stepsTaken() {
    return stepsTaken;
  }

  /** The total number of steps this hypothesis takes from x_T to x_0. */
  public int totalSteps() {
    return timesteps.length;
  }

  public boolean isTerminal() {
    return stepsTaken >= timesteps.length;
  }

  /** A copy of the noise x_T this hypothesis started from. */
  public float[] initialNoise() {
    return initialNoise.clone();
  }

  /** The sample's length D. */
  public int dimension() {
    return initialNoise.length;
  }

  static float[] toFloats(double[] v) {
    float[] out = new float[v.length];
    for (int j = 0; j < v.length; j++) {
      out[j] = (float) v[j];
    }
    return out;
  }

  @Override
  public String toString() {
    return "Latent[lineage=" + lineage + ", steps=" + stepsTaken + "/" + timesteps.length + ", t=" + timestep() + "]";
  }
}
