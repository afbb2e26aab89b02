package dev.ponder.engine.diffusion;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the diffusion and the one-step generator processes share: fresh hypotheses from seeded noise, forks,
 * ownership checks and closing. The i-th hypothesis a process starts has lineage {@code childLineage(0, i)} and
 * x_T[j] = {@code gaussian(lineage, -1, NOISE, j)}; the k-th fork of a parent has {@code childLineage(parent, k)}.
 */
abstract class LatentProcess implements GenerativeProcess<Latent> {
  private final String kind;
  private final int[] timesteps;
  private long started;
  private boolean closed;

  LatentProcess(String kind, int[] timesteps) {
    this.kind = kind;
    this.timesteps = timesteps;
  }

  /** D, the length of a noise vector and of a sample. */
  abstract int latentDimension();

  @Override
  public final List<Latent> start(int n, SearchContext ctx) {
    requireOpen();
    if (n < 0) {
      throw new IllegalArgumentException("start needs n >= 0 hypotheses, was " + n);
    }
    int d = latentDimension();
    List<Latent> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long lineage = RandomStreams.childLineage(0, started++);
      float[] noise = new float[d];
      for (int j = 0; j < d; j++) {
        noise[j] = (float) ctx.random().gaussian(lineage, -1, RandomStreams.Purpose.NOISE, j);
      }
      out.add(new Latent(this, lineage, timesteps, noise));
    }
    return out;
  }

  /** A hypothesis from the given x_T (copied) with the next start lineage. */
  final Latent startAt(float[] noise, int position) {
    return new Latent(this, RandomStreams.childLineage(0, started++), timesteps, checkedNoise(noise, position).clone());
  }

  /** A hypothesis from x_T with lineage {@code childLineage(0, position)}, whatever was started before. */
  final Latent atPosition(float[] noise, int position) {
    return new Latent(this, RandomStreams.childLineage(0, position), timesteps, checkedNoise(noise, position).clone());
  }

  /** A deep copy under lineage {@code childLineage(parent.lineage(), k)}, k counting this parent's forks from 0. */
  @Override
  public final Latent fork(Latent parent, SearchContext ctx) {
    requireOpen();
    requireUsable(parent);
    return parent.copyAs(RandomStreams.childLineage(parent.lineage, parent.forks++));
  }

  @Override
  public final boolean isTerminal(Latent h) {
    return h.isTerminal();
  }

  @Override
  public final long lineage(Latent h) {
    return h.lineage;
  }

  @Override
  public final Candidate toCandidate(Latent h, double score) {
    return Candidate.ofSample(h.sample(), score, h.stepsTaken(), h.isTerminal());
  }

  @Override
  public final void release(Latent h) {
    h.released = true;
  }

  final float[] checkedNoise(float[] z, int i) {
    Objects.requireNonNull(z, "noise vector");
    if (z.length != latentDimension()) {
      throw new IllegalArgumentException("noise vector " + i + " has length " + z.length + "; this " + kind
          + " takes D = " + latentDimension() + " values");
    }
    return z;
  }

  final void requireUsable(Latent h) {
    Objects.requireNonNull(h, "hypothesis");
    if (h.owner != this) {
      throw new IllegalArgumentException("hypothesis " + h.lineage + " belongs to another process");
    }
    if (h.released) {
      throw new IllegalArgumentException("hypothesis " + h.lineage + " was released");
    }
  }

  final void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this " + kind + " process is closed");
    }
  }

  /** Idempotent; frees nothing of the model's. */
  @Override
  public final void close() {
    closed = true;
  }
}
