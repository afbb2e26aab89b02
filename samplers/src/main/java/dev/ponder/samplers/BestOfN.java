package dev.ponder.samplers;

import dev.ponder.engine.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.Outcome;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Best-of-N: N independent samples decoded together, each scored once by an outcome scorer (identical texts
 * are scored once and share the score), then one picked by a {@link Selection}. The candidates come back ranked:
 * the selected one first, then the rest by the selection's order.
 */
final class BestOfN {
  private BestOfN() {
  }

  static <S> SearchResult run(GenerativeProcess<S> process, int n, OutcomeScorer<S> scorer, Selection selection,
      Function<String, String> answerOf, SearchContext ctx) {
    List<S> all = process.start(n, ctx);
    Outcome outcome = Sampling.decodeToEnd(process, all, ctx);

    // Score each distinct output (text, or text and sample) once.
    Map<String, S> firstByText = new LinkedHashMap<>();
    List<Candidate> unscored = new ArrayList<>();
    for (S h : all) {
      Candidate c = process.toCandidate(h, Double.NaN);
      unscored.add(c);
      firstByText.putIfAbsent(outputKey(c), h);
    }
    List<S> distinct = new ArrayList<>(firstByText.values());
    double[] distinctScores = distinct.isEmpty() ? new double[0] : scorer.score(distinct, ctx);
    if (distinctScores.length != distinct.size()) {
      throw new IllegalStateException("the scorer returned " + distinctScores.length + " scores for "
          + distinct.size() + " candidates");
    }
    Map<String, Double> scoreByText = new HashMap<>();
    int k = 0;
    for (String text : firstByText.keySet()) {
      scoreByText.put(text, distinctScores[k]);
      ctx.emit(new SearchEvent.Score(process.lineage(distinct.get(k)), "outcome", distinctScores[k]));
      k++;
    }
    List<Candidate> scored = new ArrayList<>();
    for (Candidate c : unscored) {
      scored.add(c.withScore(scoreByText.get(outputKey(c))));
    }
    all.forEach(process::release);

    List<Candidate> ranked = rank(scored, selection, answerOf, ctx);
    SearchResult result = Sampling.finish(ctx, outcome, ranked);
    return result;
  }

  /** Identical outputs share a score: the text, plus the sample's values for a continuous candidate. */
  private static String outputKey(Candidate c) {
    float[] sample = c.sample();
    return sample == null ? c.text() : c.text() + Arrays.toString(sample);
  }

  static List<Candidate> rank(List<Candidate> scored, Selection selection, Function<String, String> answerOf,
      SearchContext ctx) {
    List<Candidate> byScore = new ArrayList<>(scored);
    byScore.sort(Comparator.comparingDouble(Candidate::score).reversed());
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
