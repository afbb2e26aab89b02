package dev.ponder.samplers.mcts;

/**
 * Where MCTS gets the value of a new, unfinished node. A finished node is always valued exactly: by the
 * outcome scorer (terminal checker, ORM) when one is set, otherwise by the process reward model.
 */
public enum MctsLeafValue {
  /** The process reward model's score of the partial solution. */
  PROCESS,
  /**
   * The value of one rollout: a fork of the node decoded to the end (at most to the maximum depth), scored by
   * the outcome scorer when it finished (by the PRM otherwise). Finished rollouts are kept as candidates.
   */
  ROLLOUT
}
