package dev.ponder.engine.diffusion;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;

/** A one-step generator as a {@link GenerativeProcess}: one advance maps x_T to the sample. */
final class GeneratorProcess implements GenerativeProcess<Latent> {
  /** The "timestep" of pure noise, for noise-aware scorers: the noisiest level of a 1000-step schedule. */
  static final int NOISE_TIMESTEP = 999;
  private static final int[] ONE_STEP = {NOISE_TIMESTEP};

  private final GeneratorModel model;
  private long started;
  private boolean closed;

  GeneratorProcess(GeneratorModel model) {
    this.model = model;
  }

  @Override
  public List<Latent> start(int n, SearchContext ctx) {
    requireOpen();
    if (n < 0) {
      throw new IllegalArgumentException("start needs n >= 0 hypotheses, was " + n);
    }
    List<Latent> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long lineage = RandomStreams.childLineage(0, started++);
      float[] noise = new float[model.noiseDimension()];
      for (int j = 0; j < noise.length; j++) {
        noise[j] = (float) ctx.random().gaussian(lineage, -1, RandomStreams.Purpose.NOISE, j);
      }
      out.add(new Latent(this, lineage, ONE_STEP, noise));
    }
    return out;
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

  @Override
  public Latent fork(Latent parent, SearchContext ctx) {
    requireOpen();
    requireUsable(parent);
    return parent.copyAs(RandomStreams.childLineage(parent.lineage, parent.forks++));
  }

  @Override
  public boolean isTerminal(Latent h) {
    return h.isTerminal();
  }

  @Override
  public long lineage(Latent h) {
    return h.lineage;
  }

  @Override
  public Candidate toCandidate(Latent h, double score) {
    return Candidate.ofSample(h.sample(), score, h.stepsTaken(), h.isTerminal());
  }

  @Override
  public void release(Latent h) {
    h.released = true;
  }

  private void requireUsable(Latent h) {
    if (h.owner != this) {
      throw new IllegalArgumentException("hypothesis " + h.lineage + " belongs to another process");
    }
    if (h.released) {
      throw new IllegalArgumentException("hypothesis " + h.lineage + " was released");
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this generator process is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
