package dev.ponder.samplers.smc;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.samplers.core.ScoreCheck;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A generative process and a process scorer as a {@link FeynmanKac} model: M0 is the process's start, M_t its
 * step, and log G_t the {@link Potential} of the scorer's reward r_t with inverse temperature lambda; a particle
 * that finishes takes the terminal potential, which makes the product of its potentials exactly
 * exp(lambda r_T) (Singhal et al. 2025; Puri et al. 2025).
 */
final class ProcessFeynmanKac<S> implements FeynmanKac<ProcessFeynmanKac.Particle<S>> {

  /** A hypothesis with its reward history. */
  static final class Particle<S> {
    final S h;
    double sumLogPotentials;
    double[] rewards = new double[8];
    int count;
    boolean done;

    Particle(S h) {
      this.h = h;
    }
  }

  private final GenerativeProcess<S> process;
  private final ProcessScorer<S> scorer;
  private final Potential potential;
  private final double lambda;
  private final OutcomeScorer<S> outcome;
  private final SearchContext ctx;

  /** @param outcome ranks the final particles when not null (else their latest rewards do) */
  ProcessFeynmanKac(GenerativeProcess<S> process, ProcessScorer<S> scorer, Potential potential, double lambda,
      OutcomeScorer<S> outcome, SearchContext ctx) {
    this.process = process;
    this.scorer = scorer;
    this.potential = potential;
    this.lambda = lambda;
    this.outcome = outcome;
    this.ctx = ctx;
  }

  @Override
  public double[] outcomeScores(List<Particle<S>> particles) {
    if (outcome == null || particles.isEmpty()) {
      return null;
    }
    List<S> hs = particles.stream().map(p -> p.h).toList();
    double[] s = ScoreCheck.check("outcome", outcome.score(hs, ctx), hs.size(), ctx);
    for (int i = 0; i < s.length; i++) {
      ctx.emit(new SearchEvent.Score(process.lineage(hs.get(i)), "outcome", s[i]));
    }
    return s;
  }

  @Override
  public List<Particle<S>> m0(int n) {
    List<Particle<S>> out = new ArrayList<>(n);
    for (S h : process.start(n, ctx)) {
      out.add(new Particle<>(h));
    }
    return out;
  }

  @Override
  public void m(int t, List<Particle<S>> live) {
    List<S> hs = new ArrayList<>(live.size());
    live.forEach(p -> hs.add(p.h));
    process.advance(hs, ctx);
  }

  @Override
  public double[] logG(int t, List<Particle<S>> moved) {
    List<S> hs = new ArrayList<>(moved.size());
    moved.forEach(p -> hs.add(p.h));
    double[] rewards = ScoreCheck.check("process", scorer.score(hs, ctx), hs.size(), ctx);
    double[] logG = new double[moved.size()];
    for (int i = 0; i < moved.size(); i++) {
      Particle<S> p = moved.get(i);
      if (p.count == p.rewards.length) {
        p.rewards = Arrays.copyOf(p.rewards, p.count * 2);
      }
      p.rewards[p.count++] = rewards[i];
      ctx.emit(new SearchEvent.Score(process.lineage(p.h), "process", rewards[i]));
      if (process.isTerminal(p.h)) {
        logG[i] = Potential.terminalLogPotential(lambda, rewards[i], p.sumLogPotentials);
        p.done = true;
      } else {
        logG[i] = potential.logPotential(lambda, p.rewards, p.count);
      }
      p.sumLogPotentials += logG[i];
    }
    return logG;
  }

  @Override
  public boolean isDone(Particle<S> particle) {
    return particle.done;
  }

  @Override
  public Particle<S> copy(Particle<S> particle) {
    Particle<S> p = new Particle<>(process.fork(particle.h, ctx));
    p.sumLogPotentials = particle.sumLogPotentials;
    p.rewards = particle.rewards.clone();
    p.count = particle.count;
    p.done = particle.done;
    return p;
  }

  @Override
  public void release(Particle<S> particle) {
    process.release(particle.h);
  }

  @Override
  public long lineage(Particle<S> particle) {
    return process.lineage(particle.h);
  }

  @Override
  public double reward(Particle<S> particle) {
    return particle.count == 0 ? Double.NEGATIVE_INFINITY : particle.rewards[particle.count - 1];
  }

  @Override
  public Candidate toCandidate(Particle<S> particle) {
    return process.toCandidate(particle.h, reward(particle));
  }
}
