package dev.ponder.samplers.mcts;

import java.util.Arrays;

/**
 * The search tree of {@link Mcts} as preallocated parallel arrays (mctx's layout): node {@code i} is described by
 * {@code parent[i]}, {@code depth[i]}, ... ; the root is {@link #ROOT_INDEX}; the {@code k} children of a node are
 * created together and are contiguous, {@code firstChild[i] .. firstChild[i] + childCount[i] - 1}; an unexpanded
 * node has {@code firstChild == UNVISITED}.
 *
 * <p>Statistics count evaluations: a child is evaluated once when it is created ({@code visits = 1},
 * {@code valueSum = leafValue}), and an expansion backs the k new values up along the path to the root. So for an
 * expanded node, {@code visits[i] = own(i) + Σ visits[children]} with {@code own = 1} except at the root (which
 * is never evaluated), and the same with {@code valueSum}: {@code Q(i) = valueSum / visits} is the mean of every
 * evaluation in the subtree.
 *
 * <p>{@code virtualLoss[i]} counts the selections in the current wave whose path runs through {@code i}; each
 * counts as one more visit of value {@code virtualLossValue} until the wave is backed up.
 *
 * <p>{@code exhausted[i]}: nothing below {@code i} can be searched any more (it is terminal, at the maximum depth,
 * or every child is exhausted). Exact values are never re-evaluated: selection skips exhausted children.
 */
final class MctsTree {
  static final int ROOT_INDEX = 0;
  static final int UNVISITED = -1;

  final int[] parent;          // [capacity]
  final int[] depth;           // [capacity], root 0
  final int[] firstChild;      // [capacity], UNVISITED until expanded
  final int[] childCount;      // [capacity]
  final int[] visits;          // [capacity], evaluations in the subtree
  final double[] valueSum;     // [capacity], sum of those evaluations
  final int[] virtualLoss;     // [capacity], pending selections through the node
  final double[] prior;        // [capacity], P(child | parent): softmax of sibling step log-likelihoods
  final double[] leafValue;    // [capacity], the node's own evaluation; NaN for the root
  final long[] lineage;        // [capacity], the hypothesis's lineage id
  final boolean[] terminal;    // [capacity], the process says the hypothesis has ended
  final boolean[] exhausted;   // [capacity]
  private int size;

  MctsTree(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("tree capacity must be >= 1, was " + capacity);
    }
    parent = new int[capacity];
    depth = new int[capacity];
    firstChild = new int[capacity];
    childCount = new int[capacity];
    visits = new int[capacity];
    valueSum = new double[capacity];
    virtualLoss = new int[capacity];
    prior = new double[capacity];
    leafValue = new double[capacity];
    lineage = new long[capacity];
    terminal = new boolean[capacity];
    exhausted = new boolean[capacity];
    Arrays.fill(firstChild, UNVISITED);
    Arrays.fill(parent, UNVISITED);
    Arrays.fill(leafValue, Double.NaN);
  }

  int size() {
    return size;
  }

  int capacity() {
    return parent.length;
  }

  int addRoot(long rootLineage) {
    if (size != 0) {
      throw new IllegalStateException("the tree already has a root");
    }
    lineage[ROOT_INDEX] = rootLineage;
    prior[ROOT_INDEX] = 1;
    size = 1;
    return ROOT_INDEX;
  }

  /** Creates the {@code k} children of {@code node} and returns the index of the first. */
  int addChildren(int node, int k) {
    if (firstChild[node] != UNVISITED) {
      throw new IllegalStateException("node " + node + " is already expanded");
    }
    if (size + k > capacity()) {
      throw new IllegalStateException("tree capacity " + capacity() + " exceeded adding " + k + " children");
    }
    int first = size;
    for (int c = first; c < first + k; c++) {
      parent[c] = node;
      depth[c] = depth[node] + 1;
      prior[c] = 1.0 / k;
    }
    firstChild[node] = first;
    childCount[node] = k;
    size += k;
    return first;
  }

  boolean isExpanded(int node) {
    return firstChild[node] != UNVISITED;
  }

  /** Q(i) = valueSum / visits; {@code fill} when never visited. */
  double q(int node, double fill) {
    return visits[node] == 0 ? fill : valueSum[node] / visits[node];
  }

  /** Visits including the pending (virtual) ones. */
  int effectiveVisits(int node) {
    return visits[node] + virtualLoss[node];
  }

  /** Q with each pending selection counted as a visit of value {@code virtualLossValue}. */
  double effectiveQ(int node, double virtualLossValue, double fill) {
    int n = effectiveVisits(node);
    return n == 0 ? fill : (valueSum[node] + virtualLoss[node] * virtualLossValue) / n;
  }

  /** Adds {@code delta} pending selections to every node from {@code leaf} up to the root. */
  void addVirtualLoss(int leaf, int delta) {
    for (int i = leaf; i != UNVISITED; i = parent[i]) {
      virtualLoss[i] += delta;
    }
  }

  /** Adds {@code count} evaluations summing to {@code sum} to every node from {@code node} up to the root. */
  void backup(int node, int count, double sum) {
    for (int i = node; i != UNVISITED; i = parent[i]) {
      visits[i] += count;
      valueSum[i] += sum;
    }
  }

  /** Marks {@code node} exhausted, and each ancestor whose children are now all exhausted. */
  void markExhausted(int node) {
    exhausted[node] = true;
    for (int p = parent[node]; p != UNVISITED && allChildrenExhausted(p); p = parent[p]) {
      exhausted[p] = true;
    }
  }

  boolean allChildrenExhausted(int node) {
    if (!isExpanded(node)) {
      return false;
    }
    for (int c = firstChild[node]; c < firstChild[node] + childCount[node]; c++) {
      if (!exhausted[c]) {
        return false;
      }
    }
    return true;
  }

  /** The most visited child at each level from the root (ties: higher Q, then lower index); the last node. */
  int principalLeaf() {
    int node = ROOT_INDEX;
    while (isExpanded(node)) {
      int best = firstChild[node];
      for (int c = best + 1; c < firstChild[node] + childCount[node]; c++) {
        if (visits[c] > visits[best] || visits[c] == visits[best] && q(c, 0) > q(best, 0)) {
          best = c;
        }
      }
      node = best;
    }
    return node;
  }
}
