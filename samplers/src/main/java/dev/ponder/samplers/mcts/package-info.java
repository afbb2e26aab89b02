/**
 * Monte Carlo tree search over the steps of any process, guided by a process scorer: PUCT or UCT selection,
 * batched waves with virtual loss, leaf values from the scorer or from roll-outs.
 */
package dev.ponder.samplers.mcts;
