package dev.ponder.samplers.bestofn;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import dev.ponder.samplers.core.RoundDriver;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Best-of-N, and plain sampling: N independent runs of a process advanced together (one batched call per step
 * for those still live; finished ones drop out), optionally pruned part-way, then ranked.
 *
 * <ul>
 *   <li>With an outcome scorer: each distinct output is scored once (identical outputs share the score), and a
 *       {@link Selection} orders them: the selected one first, then the rest by the selection's order.</li>
 *   <li>Without one (sampling): ranked by the policy's log-probability (stable, so draw order for processes
 *       without one, such as diffusion).</li>
 *   <li>Pruning: after round {@code pruneAfter} a process scorer ranks every hypothesis and only the best
 *       {@code keep} go on (ties keep draw order), so full generation is spent only on promising draws.</li>
 * </ul>
 *
 * <p>When a budget stops the search early, the hypotheses are returned as they stand (cut), scored as they are;
 * a cancelled search returns them unscored (NaN), by log-probability, without calling the scorer.
 */
final class BestOfN<S> implements Rounds {

  /**
   * @param n          hypotheses
   * @param scorer     ranks the outputs; {@code null}: rank by log-probability
   * @param pruneAfter the round after which to prune; -1: never
   */
  record Config<S>(int n, OutcomeScorer<S> scorer, Selection selection, Function<String, String> answerOf,
      int pruneAfter, int keep, ProcessScorer<S> pruneScorer) {}

  private final GenerativeProcess<S> process;
  private final Config<S> c;
  private final SearchContext ctx;
  private List<S> all;
  private List<S> live;

  BestOfN(GenerativeProcess<S> process, Config<S> config, SearchContext ctx) {
    this.process = process;
    this.c = config;
    this.ctx = ctx;
    this.all = new ArrayList<>(process.start(config.n(), ctx));
    this.live = new ArrayList<>(all);
    live.removeIf(process::isTerminal);
  }

  /** Best-of-N with an argmax-style selection over an open process, as the front door runs it (tests). */
  static <S> dev.ponder.engine.SearchResult run(GenerativeProcess<S> process, int n, OutcomeScorer<S> scorer,
      Selection selection, Function<String, String> answerOf, SearchContext ctx) {
    return RoundDriver.run(new BestOfN<>(process, new Config<>(n, scorer, selection, answerOf, -1, 0, null), ctx), ctx);
  }

  @Override
  public int live() {
    return live.size();
  }

  @Override
  public boolean done() {
    return live.isEmpty();
  }

  @Override
  public void round(int round) {
    live = new ArrayList<>(process.advance(live, ctx));
    live.removeIf(process::isTerminal);
    if (round == c.pruneAfter() && c.pruneScorer() != null) {
      prune();
    }
  }

  private void prune() {
    double[] s = ScoreCheck.check("prune", c.pruneScorer().score(all, ctx), all.size(), ctx);
    Integer[] order = new Integer[all.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      ctx.emit(new SearchEvent.Score(process.lineage(all.get(i)), "prune", s[i]));
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -ScoreCheck.rankable(s[i])));
    boolean[] kept = new boolean[all.size()];
    for (int r = 0; r < Math.min(c.keep(), order.length); r++) {
      kept[order[r]] = true;
    }
    List<S> survivors = new ArrayList<>();
    for (int i = 0; i < kept.length; i++) {
      if (kept[i]) {
        survivors.add(all.get(i));
      } else {
        ctx.emit(new SearchEvent.Prune(process.lineage(all.get(i)), "pruned by intermediate reward " + s[i]));
        process.release(all.get(i));
      }
    }
    all = survivors;
    live = new ArrayList<>(survivors);
    live.removeIf(process::isTerminal);
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    try {
      // A cancelled search's result is not wanted: spend no scorer call on it (a deadline still scores: the
      // best so far is the point of a deadline).
      return c.scorer() == null || why instanceof StopReason.Cancelled ? byLogProb() : scored();
    } finally {
      release();
    }
  }

  private List<Candidate> byLogProb() {
    List<Candidate> candidates = new ArrayList<>();
    for (S h : all) {
      candidates.add(process.toCandidate(h, Double.NaN));
    }
    candidates.sort(Comparator.comparingDouble(Candidate::logProb).reversed());
    return candidates;
  }

  private List<Candidate> scored() {
    // Score each distinct output (text, or text and sample) once.
    Map<String, S> firstByText = new LinkedHashMap<>();
    List<Candidate> unscored = new ArrayList<>();
    for (S h : all) {
      Candidate cand = process.toCandidate(h, Double.NaN);
      unscored.add(cand);
      firstByText.putIfAbsent(outputKey(cand), h);
    }
    List<S> distinct = new ArrayList<>(firstByText.values());
    double[] distinctScores = distinct.isEmpty() ? new double[0]
        : ScoreCheck.check("outcome", c.scorer().score(distinct, ctx), distinct.size(), ctx);
    Map<String, Double> scoreByText = new HashMap<>();
    int k = 0;
    for (String text : firstByText.keySet()) {
      scoreByText.put(text, distinctScores[k]);
      ctx.emit(new SearchEvent.Score(process.lineage(distinct.get(k)), "outcome", distinctScores[k]));
      k++;
    }
    List<Candidate> scored = new ArrayList<>();
    for (Candidate cand : unscored) {
      scored.add(cand.withScore(scoreByText.get(outputKey(cand))));
    }
    return rank(scored, c.selection(), c.answerOf(), ctx);
  }

  @Override
  public void release() {
    all.forEach(process::release);
  }

  /** Identical outputs share a score: the text, plus the sample's values for a continuous candidate. */
  private static String outputKey(Candidate c) {
    float[] sample = c.sample();
    return sample == null ? c.text() : c.text() + Arrays.toString(sample);
  }

  static List<Candidate> rank(List<Candidate> scored, Selection selection, Function<String, String> answerOf,
      SearchContext ctx) {
    List<Candidate> byScore = new ArrayList<>(scored);
    byScore.sort(ScoreCheck.BEST_FIRST);
    if (selection instanceof Selection.Argmax) {
      return byScore;
    }
    if (selection instanceof Selection.Soft soft) {
      return softPick(byScore, soft.lambda(), ctx);
    }
    // Weighted or majority: aggregate per extracted answer, then order answers, candidates by score within.
    boolean weighted = selection instanceof Selection.Weighted;
    Map<String, double[]> perAnswer = new HashMap<>(); // [aggregate, best score]
    for (Candidate c : byScore) {
      double[] agg = perAnswer.computeIfAbsent(answerOf.apply(c.text()), a -> new double[] {0, c.score()});
      agg[0] += weighted ? c.score() : 1;
    }
    Comparator<Candidate> order = Comparator.<Candidate>comparingDouble(c -> perAnswer.get(answerOf.apply(c.text()))[0])
        .thenComparingDouble(c -> perAnswer.get(answerOf.apply(c.text()))[1])
        .thenComparingDouble(Candidate::score).reversed();
    byScore.sort(order);
    return byScore;
  }

  /** Draws one candidate with probability proportional to exp(lambda * score) and puts it first. */
  private static List<Candidate> softPick(List<Candidate> byScore, double lambda, SearchContext ctx) {
    double max = byScore.get(0).score();
    double[] w = new double[byScore.size()];
    double total = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = Math.exp(lambda * (byScore.get(i).score() - max));
      total += w[i];
    }
    double u = ctx.random().uniform(0, 0, RandomStreams.Purpose.CHOICE, 0) * total;
    int pick = w.length - 1;
    for (int i = 0; i < w.length; i++) {
      u -= w[i];
      if (u < 0) {
        pick = i;
        break;
      }
    }
    List<Candidate> out = new ArrayList<>(byScore);
    out.add(0, out.remove(pick));
    return out;
  }
}
