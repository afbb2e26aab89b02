package dev.ponder.samplers;

import dev.ponder.engine.SearchResult;
import java.util.Objects;

/**
 * An MCTS result with its search tree.
 *
 * @param result   the candidates, outcome and cost, as {@link MctsSearch#run} returns them
 * @param treeJson the tree as JSON: {@code {"nodes":[{"id","parent","depth","lineage","visits","value",
 *                 "leafValue","prior","terminal","exhausted","children","step","text"}, ...]}}; node 0 is the
 *                 root, {@code value} is Q (the mean evaluation of the subtree), {@code step} the text the
 *                 node's step added
 */
public record MctsRun(SearchResult result, String treeJson) {
  public MctsRun {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(treeJson, "treeJson");
  }
}
