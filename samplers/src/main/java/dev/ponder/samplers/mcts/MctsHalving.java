package dev.ponder.samplers.mcts;

import java.util.ArrayList;
import java.util.List;

/**
 * The Gumbel root with Sequential Halving (Danihelka et al., "Policy improvement by planning with Gumbel",
 * ICLR 2022; mctx's {@code seq_halving.py}), for small simulation budgets.
 *
 * <p>Gumbel-top-m: the m root children with the highest {@code g(a) + logit(a)}, g ~ Gumbel(0, 1), are a sample
 * without replacement from the prior; only they are searched. Sequential Halving then spends the n simulations
 * in ⌈log2 m⌉ phases: each phase gives every remaining child {@code max(1, ⌊n / (⌈log2 m⌉ · remaining)⌋)} visits,
 * then keeps the better half by {@code g + logit + σ(q̂)}, where q̂ is Q min-max normalized over the considered
 * children and {@code σ(q̂) = (c_visit + max_b N(b)) · c_scale · q̂} (Appendix D: c_visit = 50, c_scale = 0.1).
 * mctx writes the schedule as the visit count the chosen child must have at each simulation, which is what
 * {@link #consideredVisits} returns; the root then picks the best-scoring child with exactly that many visits.
 */
final class MctsHalving {
  static final double C_VISIT = 50;
  static final double C_SCALE = 0.1;

  private MctsHalving() {
  }

  /** For each of {@code n} simulations, the visit count the root child chosen then must have ({@code m} considered). */
  static int[] consideredVisits(int m, int n) {
    int[] out = new int[n];
    if (m <= 1) {
      for (int i = 0; i < n; i++) {
        out[i] = i;
      }
      return out;
    }
    int log2max = 32 - Integer.numberOfLeadingZeros(m - 1); // ceil(log2 m)
    List<Integer> sequence = new ArrayList<>();
    int[] visits = new int[m];
    int considered = m;
    while (sequence.size() < n) {
      int extra = Math.max(1, (int) ((double) n / (log2max * considered)));
      for (int e = 0; e < extra; e++) {
        for (int i = 0; i < considered; i++) {
          sequence.add(visits[i]);
          visits[i]++;
        }
      }
      considered = Math.max(2, considered / 2);
    }
    for (int i = 0; i < n; i++) {
      out[i] = sequence.get(i);
    }
    return out;
  }

  /** A Gumbel(0, 1) draw from a uniform in [0, 1). */
  static double gumbel(double u) {
    return -Math.log(-Math.log(Math.max(u, Double.MIN_NORMAL)));
  }

  /** σ(q̂) = (c_visit + maxVisits) · c_scale · q̂. */
  static double sigma(double normalizedQ, int maxVisits) {
    return (C_VISIT + maxVisits) * C_SCALE * normalizedQ;
  }

  /**
   * The root child to simulate next: among the considered, non-exhausted children with exactly
   * {@code consideredVisit} visits, the highest {@code gumbel + logit + σ(q̂)}; if none has that many visits
   * (some were exhausted), the highest score among the considered, non-exhausted ones; {@link MctsTree#UNVISITED}
   * when none is left.
   *
   * @param gumbel     per root child (offset from the first child)
   * @param considered per root child, whether Gumbel-top-m chose it
   * @param visits     per root child, simulations routed through it (pending ones included)
   */
  static int selectRoot(MctsTree t, double[] gumbel, boolean[] considered, int[] visits, int consideredVisit) {
    int first = t.firstChild[MctsTree.ROOT_INDEX];
    int k = t.childCount[MctsTree.ROOT_INDEX];
    double minQ = Double.POSITIVE_INFINITY;
    double maxQ = Double.NEGATIVE_INFINITY;
    int maxVisits = 0;
    for (int a = 0; a < k; a++) {
      if (considered[a]) {
        double q = t.q(first + a, 0);
        minQ = Math.min(minQ, q);
        maxQ = Math.max(maxQ, q);
        maxVisits = Math.max(maxVisits, visits[a]);
      }
    }
    int best = MctsTree.UNVISITED;
    int fallback = MctsTree.UNVISITED;
    double bestScore = Double.NEGATIVE_INFINITY;
    double fallbackScore = Double.NEGATIVE_INFINITY;
    for (int a = 0; a < k; a++) {
      if (!considered[a] || t.exhausted[first + a]) {
        continue;
      }
      double qHat = (t.q(first + a, 0) - minQ) / Math.max(maxQ - minQ, 1e-8);
      double s = gumbel[a] + Math.log(t.prior[first + a]) + sigma(qHat, maxVisits);
      if (fallback == MctsTree.UNVISITED || s > fallbackScore) {
        fallback = first + a;
        fallbackScore = s;
      }
      if (visits[a] == consideredVisit && (best == MctsTree.UNVISITED || s > bestScore)) {
        best = first + a;
        bestScore = s;
      }
    }
    return best != MctsTree.UNVISITED ? best : fallback;
  }
}
