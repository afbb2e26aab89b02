package dev.ponder.samplers.bestofn;

import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.samplers.bestofn.BestOfNSearch.Selection;
import dev.ponder.samplers.core.Rounds;
import dev.ponder.samplers.core.ScoreCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Best-of-N that stops as soon as more samples would not change the answer: samples come in waves (each decoded
 * together, one batched call per step), each wave's new outputs are scored in one call, and after every wave a stop
 * rule decides whether to draw the next, up to N in all.
 *
 * <ul>
 *   <li>{@link Rule.ScoreAtLeast}: stop when some output scores at least the threshold (a verifier that says
 *       "correct": no later sample can beat it).</li>
 *   <li>{@link Rule.Settled}: self-consistency that stops when its majority answer is settled. With {@code a} samples
 *       for the leading answer and {@code b} for the runner-up, the leading answer's share between the two has the
 *       posterior Beta(a + 1, b + 1) under a uniform prior; stop when P(share > 1/2) >= confidence. For integer
 *       parameters that probability is exact: P(Bin(a + b + 1, 1/2) <= a).</li>
 * </ul>
 *
 * <p>A wave's hypotheses get fresh lineages (the process's {@code start} numbers them on), so a search that stops
 * after k waves has exactly the samples of the first k waves of the full search, and the same seed gives the same
 * result. Identical outputs are scored once across waves. The answer is ranked by the {@link Selection} over every
 * sample drawn.
 */
final class AdaptiveBestOfN<S> implements Rounds {

  /** When to stop drawing waves. */
  sealed interface Rule {
    /** Stop once an output scores at least {@code threshold}. */
    record ScoreAtLeast(double threshold) implements Rule {}

    /** Stop once the leading answer leads with posterior probability at least {@code confidence}. */
    record Settled(double confidence) implements Rule {}
  }

  private final GenerativeProcess<S> process;
  private final int n;
  private final int wave;
  private final OutcomeScorer<S> scorer;
  private final Selection selection;
  private final Function<String, String> answerOf;
  private final Rule rule;
  private final SearchContext ctx;
  private final List<S> all = new ArrayList<>();
  private final Map<String, Double> scoreByText = new HashMap<>();
  private List<S> live = new ArrayList<>();
  private int scoredUpTo;
  private boolean settled;

  AdaptiveBestOfN(GenerativeProcess<S> process, int n, int wave, OutcomeScorer<S> scorer, Selection selection,
      Function<String, String> answerOf, Rule rule, SearchContext ctx) {
    this.process = process;
    this.n = n;
    this.wave = wave;
    this.scorer = scorer;
    this.selection = selection;
    this.answerOf = answerOf;
    this.rule = rule;
    this.ctx = ctx;
    drawWave();
  }

  private void drawWave() {
    List<S> fresh = process.start(Math.min(wave, n - all.size()), ctx);
    all.addAll(fresh);
    live = new ArrayList<>(fresh);
    live.removeIf(process::isTerminal);
  }

  @Override
  public int live() {
    return live.size();
  }

  @Override
  public boolean done() {
    return settled || live.isEmpty() && all.size() >= n && scoredUpTo == all.size();
  }

  @Override
  public void round(int round) {
    if (!live.isEmpty()) {
      live = new ArrayList<>(process.advance(live, ctx));
      live.removeIf(process::isTerminal);
    }
    if (live.isEmpty() && ctx.stopNow() == null) {
      scoreNew();
      settled = settles();
      if (!settled && all.size() < n) {
        drawWave();
      }
    }
  }

  /** Scores the outputs drawn since the last scoring, each distinct text once (one scorer call). */
  private void scoreNew() {
    List<S> distinct = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (S h : all.subList(scoredUpTo, all.size())) {
      String text = process.toCandidate(h, Double.NaN).text();
      if (!scoreByText.containsKey(text) && !texts.contains(text)) {
        distinct.add(h);
        texts.add(text);
      }
    }
    scoredUpTo = all.size();
    if (distinct.isEmpty()) {
      return;
    }
    double[] s = ScoreCheck.check("outcome", scorer.score(distinct, ctx), distinct.size(), ctx);
    for (int i = 0; i < s.length; i++) {
      scoreByText.put(texts.get(i), s[i]);
      ctx.emit(new SearchEvent.Score(process.lineage(distinct.get(i)), "outcome", s[i]));
    }
  }

  private boolean settles() {
    if (rule instanceof Rule.ScoreAtLeast at) {
      return scoreByText.values().stream().anyMatch(s -> s >= at.threshold());
    }
    Map<String, Integer> votes = new HashMap<>();
    for (S h : all) {
      votes.merge(answerOf.apply(process.toCandidate(h, Double.NaN).text()), 1, Integer::sum);
    }
    int a = 0;
    int b = 0;
    for (int v : votes.values()) {
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) {
        b = v;
      }
    }
    return leadProbability(a, b) >= ((Rule.Settled) rule).confidence();
  }

  /** P(share > 1/2) for share ~ Beta(a + 1, b + 1): P(Bin(a + b + 1, 1/2) <= a), summed exactly. */
  static double leadProbability(int a, int b) {
    int m = a + b + 1;
    double logHalfPow = m * Math.log(0.5);
    double sum = 0;
    double logChoose = 0; // log C(m, 0)
    for (int k = 0; k <= a; k++) {
      if (k > 0) {
        logChoose += Math.log(m - k + 1) - Math.log(k);
      }
      sum += Math.exp(logChoose + logHalfPow);
    }
    return Math.min(1, sum);
  }

  @Override
  public List<Candidate> finish(StopReason why) {
    try {
      if (!(why instanceof StopReason.Cancelled) && scoredUpTo < all.size()) {
        scoreNew(); // a budget stopped the search mid-wave: its outputs are scored as they stand
      }
      List<Candidate> scored = new ArrayList<>();
      for (S h : all) {
        Candidate c = process.toCandidate(h, Double.NaN);
        scored.add(c.withScore(scoreByText.getOrDefault(c.text(), Double.NaN)));
      }
      return BestOfN.rank(scored, selection, answerOf, ctx);
    } finally {
      release();
    }
  }

  @Override
  public void release() {
    all.forEach(process::release);
  }
}
