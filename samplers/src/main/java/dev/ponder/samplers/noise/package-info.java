/**
 * Searches over the input noise of a one-step generator: reward-guided noise optimization (ReNO) with the
 * reward's gradient, its gradient-free SPSA variant, and zero-order hill climbing over noise neighbours.
 */
package dev.ponder.samplers.noise;
