/**
 * Compute-optimal search ({@code Search.auto}): a cheap probe round, the prompt's difficulty read from it, and a
 * fitted rule ({@link dev.ponder.samplers.auto.AutoRule}) that chooses what to spend next.
 */
package dev.ponder.samplers.auto;
