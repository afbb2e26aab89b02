package dev.ponder.verifiers;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Scores;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Combines K member verifiers, each scoring the whole list in one batched call. With member scores
 * {@code s_1..s_K} for one input:
 * <ul>
 *   <li>MEAN: {@code Σ s_k / K};</li>
 *   <li>MIN: {@code min_k s_k} (the most pessimistic member);</li>
 *   <li>MEAN_MINUS_STD: {@code mean - β·std}, {@code std = sqrt(Σ (s_k - mean)² / K)} (uncertainty-penalized, as in
 *       conservative reward-model ensembles, Coste et al. 2023);</li>
 *   <li>RANK_SUM: {@code Σ_k rank_k}, where {@code rank_k} ranks the input among the list by member k (1 = lowest,
 *       ties share their mean rank): scale-free, but relative to the list.</li>
 * </ul>
 */
final class EnsembleVerifier implements Verifier {
  enum Rule { MEAN, MIN, MEAN_MINUS_STD, RANK_SUM }

  private final Rule rule;
  private final double beta;
  private final List<Verifier> members;

  EnsembleVerifier(Rule rule, double beta, List<Verifier> members) {
    this.rule = rule;
    this.beta = beta;
    this.members = List.copyOf(members);
  }

  static Verifier create(Rule rule, double beta, List<Verifier> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("an ensemble needs at least one member verifier, was none");
    }
    for (Verifier m : members) {
      java.util.Objects.requireNonNull(m, "ensemble member");
    }
    EnsembleVerifier e = new EnsembleVerifier(rule, beta, members);
    boolean relative = rule == Rule.RANK_SUM || members.stream().anyMatch(BatchRelative::isRelative);
    return relative ? new Relative(e) : e;
  }

  @Override
  public String name() {
    String args = members.stream().map(Verifier::name).collect(Collectors.joining(","));
    return switch (rule) {
      case MEAN -> "mean(" + args + ")";
      case MIN -> "min(" + args + ")";
      case MEAN_MINUS_STD -> "meanMinusStd[beta=" + beta + "](" + args + ")";
      case RANK_SUM -> "rankSum(" + args + ")";
    };
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    int n = inputs.size();
    double[][] s = new double[members.size()][];
    for (int k = 0; k < s.length; k++) {
      s[k] = Scores.checked(members.get(k), inputs, ctx);
      if (rule == Rule.RANK_SUM) {
        s[k] = Normalization.ranks(s[k]);
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = combine(s, i);
    }
    return out;
  }

  private double combine(double[][] s, int i) {
    int k = s.length;
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    for (double[] member : s) {
      sum += member[i];
      min = Math.min(min, member[i]);
    }
    switch (rule) {
      case MIN:
        return min;
      case MEAN_MINUS_STD:
        double mean = sum / k;
        double var = 0;
        for (double[] member : s) {
          var += (member[i] - mean) * (member[i] - mean);
        }
        return mean - beta * Math.sqrt(var / k);
      case MEAN:
        return sum / k;
      default:
        return sum;
    }
  }

  /** A rank-sum ensemble, or one with a list-relative member: marked relative to its list. */
  private static final class Relative implements Verifier, BatchRelative {
    private final EnsembleVerifier ensemble;

    Relative(EnsembleVerifier ensemble) {
      this.ensemble = ensemble;
    }

    @Override
    public String name() {
      return ensemble.name();
    }

    @Override
    public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
      return ensemble.score(inputs, ctx);
    }
  }
}
