/**
 * The front door, {@link dev.ponder.samplers.Search}: one static factory per algorithm, each returning a builder
 * that validates eagerly, and the builders' common base ({@link dev.ponder.samplers.SearchBuilder},
 * {@link dev.ponder.samplers.ProcessSearch}). The algorithms live in one sub-package per family ({@code bestofn},
 * {@code beam}, {@code smc}, {@code mcts}, {@code noise}); every process search runs over any
 * {@link dev.ponder.engine.GenerativeProcess} through one round driver that owns budgets, deadlines, cancellation,
 * events and finishing.
 */
package dev.ponder.samplers;
