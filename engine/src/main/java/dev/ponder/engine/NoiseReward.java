package dev.ponder.engine;

import java.util.Objects;

/**
 * A reward of noise vectors: the noise goes through a generator (one step, or a whole deterministic denoising run)
 * and the output is scored. Noise search and gradient-free noise optimization see only this.
 */
@FunctionalInterface
public interface NoiseReward {
  /** One reward per noise vector ({@code noise[i]} has the generator's dimension), higher is better; one batch. */
  double[] value(float[][] noise, SearchContext ctx);

  /**
   * A noise reward with its gradient with respect to the noise (for example one ONNX graph that runs the generator
   * and a classifier and back-propagates through both), for reward-guided noise optimization.
   */
  public interface DifferentiableReward extends NoiseReward {

    /** Rewards and d reward / d noise for every noise vector, in one batched call. */
    ValueAndGradient valueAndGradient(float[][] noise, SearchContext ctx);

    @Override
    default double[] value(float[][] noise, SearchContext ctx) {
      return valueAndGradient(noise, ctx).values();
    }

    /**
     * @param values    one reward per noise vector
     * @param gradients {@code gradients[i]} = d values[i] / d noise[i]
     */
    record ValueAndGradient(double[] values, float[][] gradients) {
      public ValueAndGradient {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(gradients, "gradients");
        if (values.length != gradients.length) {
          throw new IllegalArgumentException("values and gradients must have one row per noise vector, found "
              + values.length + " values and " + gradients.length + " gradient rows");
        }
      }
    }
  }
}
