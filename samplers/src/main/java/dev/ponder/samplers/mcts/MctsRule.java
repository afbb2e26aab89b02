package dev.ponder.samplers.mcts;

/**
 * How MCTS picks the child to descend into. With N counting evaluations (see {@link MctsTree}), pending
 * selections counted as virtual visits, and c the exploration constant:
 *
 * <ul>
 *   <li>{@link #PUCT}: {@code Q(a) + c · P(a) · sqrt(N(s)) / (1 + N(a))} (Silver et al., AlphaZero, 2018; the
 *       prior P is the softmax of the sibling steps' log-likelihoods under the policy);</li>
 *   <li>{@link #UCT}: {@code Q(a) + c · sqrt(ln N(s) / N(a))}, an unvisited child first (Kocsis and Szepesvári,
 *       "Bandit based Monte-Carlo planning", 2006).</li>
 * </ul>
 *
 * Ties go to the lower child index, so selection needs no randomness.
 */
public enum MctsRule {
  PUCT {
    @Override
    double score(double q, double prior, int parentVisits, int childVisits, double c) {
      return q + c * prior * Math.sqrt(parentVisits) / (1 + childVisits);
    }
  },
  UCT {
    @Override
    double score(double q, double prior, int parentVisits, int childVisits, double c) {
      if (childVisits == 0) {
        return Double.POSITIVE_INFINITY;
      }
      return q + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / childVisits);
    }
  };

  /** The selection score of a child; visits include virtual ones. */
  abstract double score(double q, double prior, int parentVisits, int childVisits, double c);

  /**
   * The child of {@code node} with the highest score among those not exhausted, or {@link MctsTree#UNVISITED}
   * when none is left. A virtual visit counts as value {@code virtualLossValue}; an unvisited child's Q is 0.
   */
  int selectChild(MctsTree t, int node, double c, double virtualLossValue) {
    int best = MctsTree.UNVISITED;
    double bestScore = Double.NEGATIVE_INFINITY;
    int parentVisits = t.effectiveVisits(node);
    for (int a = t.firstChild[node]; a < t.firstChild[node] + t.childCount[node]; a++) {
      if (t.exhausted[a]) {
        continue;
      }
      double s = score(t.effectiveQ(a, virtualLossValue, 0), t.prior[a], parentVisits, t.effectiveVisits(a), c);
      if (best == MctsTree.UNVISITED || s > bestScore) {
        best = a;
        bestScore = s;
      }
    }
    return best;
  }
}
