package dev.ponder.samplers.beam;

import dev.ponder.engine.SearchTrace;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link SearchTrace.Tree} as a step-level search goes: node 0 is the root (the prompt); each scored step
 * of a hypothesis adds a child of the node the hypothesis stood on. A node's step text is its full text minus its
 * parent's.
 */
final class TreeRecorder {
  static final int ROOT = 0;

  private final List<Integer> parent = new ArrayList<>();
  private final List<Long> lineage = new ArrayList<>();
  private final List<Integer> depth = new ArrayList<>();
  private final List<String> text = new ArrayList<>();
  private final List<Double> score = new ArrayList<>();
  private final List<Boolean> terminal = new ArrayList<>();
  private final List<Boolean> pruned = new ArrayList<>();

  TreeRecorder(long rootLineage) {
    append(-1, rootLineage, 0, "", Double.NaN, false);
  }

  /** Adds a node under {@code parentId} and returns its id. */
  int add(int parentId, long nodeLineage, String fullText, double nodeScore, boolean isTerminal) {
    return append(parentId, nodeLineage, depth.get(parentId) + 1, fullText, nodeScore, isTerminal);
  }

  private int append(int parentId, long nodeLineage, int nodeDepth, String fullText, double nodeScore,
      boolean isTerminal) {
    parent.add(parentId);
    lineage.add(nodeLineage);
    depth.add(nodeDepth);
    text.add(fullText);
    score.add(nodeScore);
    terminal.add(isTerminal);
    pruned.add(false);
    return parent.size() - 1;
  }

  void prune(int id) {
    pruned.set(id, true);
  }

  /** The tree, with the path from the root to {@code chosenId} marked (-1: none chosen). */
  SearchTrace.Tree build(int chosenId) {
    boolean[] chosen = new boolean[parent.size()];
    for (int id = chosenId; id >= 0; id = parent.get(id)) {
      chosen[id] = true;
    }
    List<SearchTrace.Tree.Node> nodes = new ArrayList<>(parent.size());
    for (int id = 0; id < parent.size(); id++) {
      String before = id == ROOT ? "" : text.get(parent.get(id));
      String full = text.get(id);
      String step = full.startsWith(before) ? full.substring(before.length()) : full;
      nodes.add(new SearchTrace.Tree.Node(id, parent.get(id), lineage.get(id), depth.get(id), step, score.get(id), 0,
          Double.NaN, terminal.get(id), pruned.get(id), chosen[id]));
    }
    return new SearchTrace.Tree(nodes);
  }
}
