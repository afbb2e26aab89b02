package dev.ponder.samplers.auto;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.SearchResult.StopReason;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.samplers.core.ScoreCheck;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * One run of {@link AutoSearch}: probe, read the features, decide, then stop, continue best-of-N with fresh
 * lineages (the process numbers them on, so the probe and the continuation are exactly the first N samples of
 * best-of-N with the same seed), or hand over to a process-guided search. A staged rule decides again each time a
 * best-of-N continuation reaches its next stage's sample count. Checks the context before every step, as
 * the round driver does; emits exactly one {@code Done} (the inner search's, when it hands over).
 */
final class AutoRun<S> {
  private final GenerativeProcess<S> process;
  private final OutcomeScorer<S> scorer;
  private final AutoRule rule;
  private final Function<String, String> answerOf;
  private final Function<AutoRule.Choice, SearchResult> guided;
  private final SearchContext ctx;
  private final List<S> all = new ArrayList<>();
  private final Map<String, Double> scoreByText = new HashMap<>();
  private int round;

  AutoRun(GenerativeProcess<S> process, OutcomeScorer<S> scorer, AutoRule rule, Function<String, String> answerOf,
      Function<AutoRule.Choice, SearchResult> guided, SearchContext ctx) {
    this.process = process;
    this.scorer = scorer;
    this.rule = rule;
    this.answerOf = answerOf;
    this.guided = guided;
    this.ctx = ctx;
  }

  SearchResult run() {
    boolean released = false;
    try {
      AutoRule stage = rule;
      StopReason stop = draw(stage.probe());
      if (stop != null) {
        return cut(stop, "the probe was cut: " + stop);
      }
      String reasons = "";
      while (true) {
        scoreNew();
        Features f = features();
        AutoRule.Clause clause = stage.decide(f::value);
        AutoRule.Choice choice = clause == null ? stage.otherwise() : clause.choice();
        String reason = clause == null ? "no clause matched: otherwise" : clause.feature().key() + " "
            + fmt(f.value(clause.feature())) + (clause.below() ? " < " : " >= ") + fmt(clause.threshold());
        int affordable = affordableSamples();
        if (choice.kind() != AutoRule.Kind.STOP && affordable != Integer.MAX_VALUE) {
          int wanted = choice.kind() == AutoRule.Kind.BON ? choice.n() - all.size() : choice.n();
          if (affordable < wanted) {
            int n = choice.kind() == AutoRule.Kind.BON ? all.size() + affordable : affordable;
            reason += "; the token budget leaves room for " + affordable + " more samples, not " + wanted;
            choice = n <= (choice.kind() == AutoRule.Kind.BON ? all.size() : 0) ? AutoRule.Choice.stop()
                : AutoRule.Choice.of(choice.kind(), n);
          }
        }
        // a staged rule's reasons read in order: "at 8 samples: ...; at 16 samples: ..."
        reasons += (reasons.isEmpty() ? "" : "; ") + (rule.next() == null ? "" : "at " + all.size() + " samples: ")
            + reason;
        switch (choice.kind()) {
          case STOP -> {
            return finish(StopReason.completed(), byScore(), trace(choice, reasons, f, SearchTrace.none()));
          }
          case BON -> {
            StopReason cut = draw(Math.max(0, choice.n() - all.size()));
            if (cut instanceof StopReason.Cancelled) {
              return finish(cut, unscored(), trace(choice, reasons, f, SearchTrace.none()));
            }
            if (cut == null && stage.next() != null && stage.next().probe() == all.size()) {
              stage = stage.next();
              continue;
            }
            scoreNew(); // a limit that cut the continuation still scores what was drawn, as best-of-N does
            return finish(cut == null ? StopReason.completed() : cut, byScore(),
                trace(choice, reasons, f, SearchTrace.none()));
          }
          default -> {
            List<Candidate> probe = byScore();
            releaseAll();
            released = true;
            SearchResult inner = guided.apply(choice);
            List<Candidate> ranked = new ArrayList<>(inner.candidates());
            ranked.addAll(probe);
            return new SearchResult(ranked, inner.stopReason(), inner.stats(), inner.logZ(),
                trace(choice, reasons, f, inner.trace()));
          }
        }
      }
    } finally {
      if (!released) {
        releaseAll();
      }
    }
  }

  /** Draws {@code n} fresh samples and advances them to the end; the stop reason if the context cut them. */
  private StopReason draw(int n) {
    if (n == 0) {
      return null;
    }
    StopReason before = ctx.stopReason();
    if (before != null) {
      return before;
    }
    List<S> fresh = process.start(n, ctx);
    all.addAll(fresh);
    List<S> live = new ArrayList<>(fresh);
    live.removeIf(process::isTerminal);
    while (!live.isEmpty()) {
      StopReason stop = ctx.stopReason();
      if (stop != null) {
        return stop;
      }
      ctx.emit(new SearchEvent.Step(round++, live.size()));
      live = new ArrayList<>(process.advance(live, ctx));
      live.removeIf(process::isTerminal);
    }
    return ctx.stopReason() instanceof StopReason.Cancelled c ? c : null;
  }

  /** Scores the outputs not scored yet, each distinct text once (one scorer call). */
  private void scoreNew() {
    List<S> distinct = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (S h : all) {
      String text = process.toCandidate(h, Double.NaN).text();
      if (!scoreByText.containsKey(text) && !texts.contains(text)) {
        distinct.add(h);
        texts.add(text);
      }
    }
    if (distinct.isEmpty()) {
      return;
    }
    double[] s = ScoreCheck.check("outcome", scorer.score(distinct, ctx), distinct.size(), ctx);
    for (int i = 0; i < s.length; i++) {
      scoreByText.put(texts.get(i), s[i]);
      ctx.emit(new SearchEvent.Score(process.lineage(distinct.get(i)), "outcome", s[i]));
    }
  }

  /** The probe's features. */
  record Features(int samples, double agreement, double bestScore, double meanScore, double meanEntropy) {
    double value(AutoRule.Feature f) {
      return switch (f) {
        case AGREEMENT -> agreement;
        case BEST_SCORE -> bestScore;
        case MEAN_SCORE -> meanScore;
        case MEAN_ENTROPY -> meanEntropy;
      };
    }
  }

  private Features features() {
    Map<String, Integer> votes = new HashMap<>();
    double best = Double.NaN;
    double sum = 0;
    int scored = 0;
    double entropy = 0;
    int withEntropy = 0;
    for (S h : all) {
      String text = process.toCandidate(h, Double.NaN).text();
      votes.merge(answerOf.apply(text), 1, Integer::sum);
      double s = scoreByText.getOrDefault(text, Double.NaN);
      if (!Double.isNaN(s)) {
        best = Double.isNaN(best) ? s : Math.max(best, s);
        sum += s;
        scored++;
      }
      if (h instanceof LmHypothesis lm && !Double.isNaN(lm.meanTokenEntropy())) {
        entropy += lm.meanTokenEntropy();
        withEntropy++;
      }
    }
    int top = votes.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    return new Features(all.size(), all.isEmpty() ? Double.NaN : top / (double) all.size(), best,
        scored == 0 ? Double.NaN : sum / scored, withEntropy == 0 ? Double.NaN : entropy / withEntropy);
  }

  /**
   * Samples the token budget still affords at the probe's cost per sample (its policy tokens, prompt included,
   * over its samples: an over-estimate, so the search does not plan past the limit); MAX_VALUE without a limit.
   */
  private int affordableSamples() {
    long limit = ctx.budget().policyTokens();
    if (limit == Long.MAX_VALUE || all.isEmpty()) {
      return Integer.MAX_VALUE;
    }
    long spent = ctx.counters().policyTokens();
    double perSample = Math.max(1, spent / (double) all.size());
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE - 1, Math.floor((limit - spent) / perSample)));
  }

  private SearchTrace.Auto trace(AutoRule.Choice choice, String reason, Features f, SearchTrace inner) {
    return new SearchTrace.Auto(choice.name(), reason, f.samples(), f.agreement(), f.bestScore(), f.meanScore(),
        f.meanEntropy(), inner);
  }

  /** The probe was cut before it finished: its samples as they stand (scored unless cancelled). */
  private SearchResult cut(StopReason stop, String reason) {
    List<Candidate> ranked;
    if (stop instanceof StopReason.Cancelled) {
      ranked = unscored();
    } else {
      scoreNew();
      ranked = byScore();
    }
    Features f = features();
    return finish(stop, ranked, trace(AutoRule.Choice.stop(), reason, f, SearchTrace.none()));
  }

  private List<Candidate> byScore() {
    List<Candidate> scored = new ArrayList<>();
    for (S h : all) {
      Candidate c = process.toCandidate(h, Double.NaN);
      scored.add(c.withScore(scoreByText.getOrDefault(c.text(), Double.NaN)));
    }
    scored.sort(ScoreCheck.BEST_FIRST);
    return scored;
  }

  /** A cancelled search's candidates: no scorer call, by log-probability. */
  private List<Candidate> unscored() {
    List<Candidate> out = new ArrayList<>();
    for (S h : all) {
      out.add(process.toCandidate(h, Double.NaN));
    }
    out.sort(Comparator.comparingDouble(Candidate::logProb).reversed());
    return out;
  }

  private SearchResult finish(StopReason why, List<Candidate> ranked, SearchTrace trace) {
    releaseAll();
    SearchResult result = new SearchResult(ranked, why, ctx.stats(), Double.NaN, trace);
    ctx.emit(new SearchEvent.Done(why, result.stats()));
    return result;
  }

  private void releaseAll() {
    all.forEach(process::release);
    all.clear();
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4g", x);
  }
}
