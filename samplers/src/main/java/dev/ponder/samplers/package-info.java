/**
 * The search algorithms behind one front door, {@link dev.ponder.samplers.Search}. Each factory returns a builder
 * that validates eagerly; the process searches run over any {@link dev.ponder.engine.GenerativeProcess} through
 * one round driver that owns budgets, deadlines, cancellation, events and finishing.
 */
package dev.ponder.samplers;
