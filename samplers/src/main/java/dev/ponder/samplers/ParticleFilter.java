package dev.ponder.samplers;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Particle filtering (sequential Monte Carlo) over a generative process with Feynman-Kac potentials from a process
 * scorer (Puri et al., "A probabilistic inference approach to inference-time scaling of LLMs using particle-based
 * Monte Carlo methods", 2025).
 *
 * <p>Each step: every unfinished particle takes one step (one batched call per token position); the scorer gives
 * its reward r_t; its log-weight grows by the log-potential (the terminal one when it just finished). Then, if
 * the schedule allows it and ESS < kappa N, particles are resampled: ancestors drawn by the scheme, copies forked, weights reset to equal
 * and the log mean weight added to the log normalizing-constant estimate; otherwise weights carry over. Finished
 * particles are absorbing: they keep their weight, take part in resampling, and cost nothing more.
 *
 * <p>Answer: the particle with the highest final reward, or with {@code weightedDraw} one drawn by final weight.
 *
 * <p>log Z = sum over resampling times of log(mean weight) + log(mean final weight): an unbiased estimate of Z
 * (on the natural scale) for the target p(x) exp(lambda r(x)).
 */
final class ParticleFilter {
  private ParticleFilter() {
  }

  /** Configuration, validated by the builder. */
  record Config(int particles, Potential potential, double lambda, Resampling scheme, double essThreshold,
      ResampleSchedule schedule, int maxSteps, boolean weightedDraw) {}

  private static final class Particle<S> {
    S h;
    double logWeight;
    double sumLogPotentials;
    double[] rewards = new double[8];
    int count;
    boolean done;

    Particle<S> copy(S forked) {
      Particle<S> p = new Particle<>();
      p.h = forked;
      p.logWeight = logWeight;
      p.sumLogPotentials = sumLogPotentials;
      p.rewards = rewards.clone();
      p.count = count;
      p.done = done;
      return p;
    }
  }

  static <S> SearchResult run(GenerativeProcess<S> process, ProcessScorer<S> scorer, Config c, SearchContext ctx) {
    List<Particle<S>> particles = new ArrayList<>();
    for (S h : process.start(c.particles(), ctx)) {
      Particle<S> p = new Particle<>();
      p.h = h;
      particles.add(p);
    }
    double logZ = 0;
    Outcome outcome = Outcome.COMPLETED;
    for (int step = 0; step < c.maxSteps() && particles.stream().anyMatch(p -> !p.done); step++) {
      Outcome stop = ctx.stopReason();
      if (stop != null) {
        outcome = stop;
        break;
      }
      List<Particle<S>> live = particles.stream().filter(p -> !p.done).toList();
      ctx.emit(new SearchEvent.Step(step, live.size()));
      List<S> hs = live.stream().map(p -> p.h).toList();
      process.advance(new ArrayList<>(hs), ctx);
      double[] rewards = scorer.score(hs, ctx);
      for (int i = 0; i < live.size(); i++) {
        Particle<S> p = live.get(i);
        if (p.count == p.rewards.length) {
          p.rewards = Arrays.copyOf(p.rewards, p.count * 2);
        }
        p.rewards[p.count++] = rewards[i];
        ctx.emit(new SearchEvent.Score(process.lineage(p.h), "process", rewards[i]));
        double logG;
        if (process.isTerminal(p.h)) {
          logG = Potential.terminalLogPotential(c.lambda(), rewards[i], p.sumLogPotentials);
          p.done = true;
        } else {
          logG = c.potential().logPotential(c.lambda(), p.rewards, p.count);
        }
        p.sumLogPotentials += logG;
        p.logWeight += logG;
      }
      if (particles.stream().allMatch(p -> p.done)) {
        break;
      }
      Weights w = Weights.fromLog(particles.stream().mapToDouble(p -> p.logWeight).toArray());
      if (c.schedule().allows(step) && w.ess() < c.essThreshold() * c.particles()) {
        logZ += w.logMean();
        particles = resample(process, particles, w, c.scheme(), step, ctx);
      }
    }
    Weights fin = Weights.fromLog(particles.stream().mapToDouble(p -> p.logWeight).toArray());
    logZ += fin.logMean();

    Integer[] order = new Integer[particles.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Argmax answer: the highest final reward (Puri et al.'s choice). The final weights alone are not a ranking:
    // after resampling they only hold the last step's potentials, which favour whoever stopped changing.
    List<Particle<S>> last = particles;
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> lastReward(last.get(i)))
        .thenComparingDouble(fin::get).reversed());
    List<Candidate> ranked = new ArrayList<>();
    for (int i : order) {
      Particle<S> p = particles.get(i);
      ranked.add(process.toCandidate(p.h, lastReward(p)));
    }
    if (c.weightedDraw()) {
      int pick = Resampling.MULTINOMIAL.ancestors(fin, 1, k -> ctx.random().uniform(0, -1, RandomStreams.Purpose.CHOICE, k))[0];
      int at = Arrays.asList(order).indexOf(pick);
      ranked.add(0, ranked.remove(at));
    }
    particles.forEach(p -> process.release(p.h));
    SearchResult result = Sampling.finish(ctx, outcome, ranked, logZ);
    return result;
  }

  private static double lastReward(Particle<?> p) {
    return p.count == 0 ? Double.NEGATIVE_INFINITY : p.rewards[p.count - 1];
  }

  private static <S> List<Particle<S>> resample(GenerativeProcess<S> process, List<Particle<S>> particles, Weights w,
      Resampling scheme, int step, SearchContext ctx) {
    int n = particles.size();
    int[] ancestors = scheme.ancestors(w, n, k -> ctx.random().uniform(0, step, RandomStreams.Purpose.RESAMPLE, k));
    ctx.emit(new SearchEvent.Resample(step, w.ess(), Arrays.stream(ancestors).boxed().toList()));
    boolean[] reused = new boolean[n];
    List<Particle<S>> next = new ArrayList<>(n);
    for (int a : ancestors) {
      Particle<S> parent = particles.get(a);
      Particle<S> child = reused[a] ? parent.copy(process.fork(parent.h, ctx)) : parent;
      reused[a] = true;
      child.logWeight = 0;
      next.add(child);
    }
    for (int i = 0; i < n; i++) {
      if (!reused[i]) {
        ctx.emit(new SearchEvent.Prune(process.lineage(particles.get(i).h), "not resampled"));
        process.release(particles.get(i).h);
      }
    }
    return next;
  }
}
