package dev.ponder.engine.diffusion;

import dev.ponder.engine.SearchContext;
import java.util.List;

/** A one-step generator as a {@link dev.ponder.engine.GenerativeProcess}: one advance maps x_T to the sample. */
final class GeneratorProcess extends LatentProcess {
  /** The "timestep" of pure noise, for noise-aware scorers: the noisiest level of a 1000-step schedule. */
  static final int NOISE_TIMESTEP = 999;
  private static final int[] ONE_STEP = {NOISE_TIMESTEP};

  private final GeneratorModel model;

  GeneratorProcess(GeneratorModel model) {
    super("generator", ONE_STEP);
    this.model = model;
  }

  @Override
  int latentDimension() {
    return model.noiseDimension();
  }

  @Override
  public List<Latent> advance(List<Latent> live, SearchContext ctx) {
    requireOpen();
    float[][] noise = new float[live.size()][];
    for (int i = 0; i < noise.length; i++) {
      Latent h = live.get(i);
      requireUsable(h);
      if (h.isTerminal()) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " is terminal (its one step is taken);"
            + " advance only live hypotheses");
      }
      noise[i] = h.initialNoise;
    }
    float[][] samples = model.generate(noise, ctx);
    ctx.counters().addGeneratedTokens(live.size());
    for (int i = 0; i < noise.length; i++) {
      Latent h = live.get(i);
      double[] x = new double[samples[i].length];
      for (int j = 0; j < x.length; j++) {
        x[j] = samples[i][j];
      }
      h.x = x;
      h.x0 = x.clone();
      h.stepsTaken = 1;
    }
    return live;
  }
}
