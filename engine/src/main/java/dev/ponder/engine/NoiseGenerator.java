package dev.ponder.engine;

/** Maps noise vectors to samples in one batched call: a one-step generator, or any deterministic sampler. */
public interface NoiseGenerator {
  /** The length of a noise vector. */
  int noiseDimension();

  /** One sample per noise vector. */
  float[][] generate(float[][] noise, SearchContext ctx);
}
