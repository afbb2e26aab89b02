package dev.ponder.samplers.smc;

import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.SearchTrace;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import dev.ponder.samplers.smc.ParticleFilterSearch.ResampleSchedule;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Particle filtering (sequential Monte Carlo) over a {@link FeynmanKac} model: the bootstrap filter of the
 * particles library, steppable by the {@link RoundDriver}. Over a generative process with potentials from a
 * process scorer ({@link ProcessFeynmanKac}) it is (Puri et al., "A probabilistic inference approach to inference-time scaling of LLMs using particle-based
 * Monte Carlo methods", 2025).
 *
 * <p>Each step: every unfinished particle moves (M_t: one batched call per token position); its log-weight grows
 * by log G_t (the terminal potential when it just finished). Then, if
 * the schedule allows it and ESS < kappa N, particles are resampled: ancestors drawn by the scheme, copies forked, weights reset to equal
 * and the log mean weight added to the log normalizing-constant estimate; otherwise weights carry over. Finished
 * particles are absorbing: they keep their weight, take part in resampling, and cost nothing more.
 *
 * <p>Answer: the particle with the highest final reward, or with {@code weightedDraw} one drawn by final weight.
 *
 * <p>log Z = sum over resampling times of log(mean weight) + log(mean final weight): an unbiased estimate of Z
 * (on the natural scale) for the target p(x) exp(lambda r(x)).
 */
final class ParticleFilter<P> implements Rounds {

  /** Configuration, validated by the builder. */
  record Config(int particles, Resampling scheme, double essThreshold, ResampleSchedule schedule, int maxSteps,
      boolean weightedDraw) {}

  private final FeynmanKac<P> model;
  private final Config c;
  private final SearchContext ctx;
  private List<P> particles;
  private double[] logWeights;
  private double logZ;
  private int rounds;
  private final List<SearchTrace.Particles.Generation> genealogy = new ArrayList<>();

  ParticleFilter(FeynmanKac<P> model, Config c, SearchContext ctx) {
    this.model = model;
    this.c = c;
    this.ctx = ctx;
    this.particles = new ArrayList<>(model.m0(c.particles()));
    this.logWeights = new double[particles.size()];
  }

  @Override
  public int live() {
    int live = 0;
    for (P p : particles) {
      live += model.isDone(p) ? 0 : 1;
    }
    return live;
  }

  @Override
  public boolean done() {
    return rounds >= c.maxSteps() || live() == 0;
  }

  @Override
  public void round(int step) {
    rounds = step + 1;
    List<P> live = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < particles.size(); i++) {
      if (!model.isDone(particles.get(i))) {
        live.add(particles.get(i));
        at.add(i);
      }
    }
    model.m(step, live);
    if (ctx.stopNow() != null) {
      return; // cancelled or past the deadline mid-step: no potentials for a round that will not be used
    }
    double[] logG = model.logG(step, live);
    for (int i = 0; i < live.size(); i++) {
      logWeights[at.get(i)] += logG[i];
    }
    if (live() == 0) {
      record(step, Double.NaN, null);
      return;
    }
    Weights w = Weights.fromLog(logWeights);
    if (c.schedule().allows(step) && w.ess() < c.essThreshold() * c.particles()) {
      logZ += w.logMean();
      resample(w, step);
    } else {
      record(step, w.ess(), null);
    }
  }

  private void resample(Weights w, int step) {
    int n = particles.size();
    int[] ancestors = c.scheme().ancestors(w, n, k -> ctx.random().uniform(0, step, RandomStreams.Purpose.RESAMPLE, k));
    record(step, w.ess(), ancestors);
    ctx.emit(new SearchEvent.Resample(step, w.ess(), Arrays.stream(ancestors).boxed().toList()));
    boolean[] reused = new boolean[n];
    List<P> next = new ArrayList<>(n);
    for (int a : ancestors) {
      P parent = particles.get(a);
      next.add(reused[a] ? model.copy(parent) : parent);
      reused[a] = true;
    }
    for (int i = 0; i < n; i++) {
      if (!reused[i]) {
        ctx.emit(new SearchEvent.Prune(model.lineage(particles.get(i)), "not resampled"));
        model.release(particles.get(i));
      }
    }
    particles = next;
    logWeights = new double[n];
  }

  /** One generation of the genealogy: the particles after reweighting, before resampling. */
  private void record(int step, double ess, int[] ancestors) {
    List<Long> lineages = new ArrayList<>(particles.size());
    List<Double> weights = new ArrayList<>(particles.size());
    List<Double> rewards = new ArrayList<>(particles.size());
    for (int i = 0; i < particles.size(); i++) {
      lineages.add(model.lineage(particles.get(i)));
      weights.add(logWeights[i]);
      rewards.add(model.reward(particles.get(i)));
    }
    genealogy.add(new SearchTrace.Particles.Generation(step, lineages, weights, rewards, ess,
        ancestors == null ? List.of() : Arrays.stream(ancestors).boxed().toList()));
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    Weights fin = Weights.fromLog(logWeights);
    logZ += fin.logMean();
    Integer[] order = new Integer[particles.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Argmax answer: the highest final reward (Puri et al.'s choice), or the model's outcome score when it has one
    // (a cancelled search makes no more scorer calls). The final weights alone are not a ranking: after
    // resampling they only hold the last step's potentials, which favour whoever stopped changing.
    double[] outcome = why instanceof StopReason.Cancelled ? null : model.outcomeScores(particles);
    List<P> last = particles;
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> ScoreCheck.rankable(outcome != null ? outcome[i]
        : model.reward(last.get(i)))).thenComparingDouble(fin::get).reversed());
    List<Candidate> ranked = new ArrayList<>();
    for (int i : order) {
      Candidate candidate = model.toCandidate(particles.get(i)); // scored by its latest reward
      ranked.add(outcome == null ? candidate : candidate.withScore(outcome[i]));
    }
    if (c.weightedDraw()) {
      int pick = Resampling.MULTINOMIAL.ancestors(fin, 1, k -> ctx.random().uniform(0, -1, RandomStreams.Purpose.CHOICE, k))[0];
      int at = Arrays.asList(order).indexOf(pick);
      ranked.add(0, ranked.remove(at));
    }
    release();
    return ranked;
  }

  @Override
  public void release() {
    particles.forEach(model::release);
    particles = List.of();
  }

  @Override
  public double logZ() {
    return logZ;
  }

  @Override
  public SearchTrace trace() {
    return new SearchTrace.Particles(genealogy);
  }
}
