package dev.ponder.engine;

/**
 * A reward of noise vectors: the noise goes through a generator (one step, or a whole deterministic denoising run)
 * and the output is scored. Noise search and gradient-free noise optimization see only this.
 */
@FunctionalInterface
public interface NoiseReward {
  /** One reward per noise vector ({@code noise[i]} has the generator's dimension), higher is better; one batch. */
  double[] value(float[][] noise, SearchContext ctx);
}
