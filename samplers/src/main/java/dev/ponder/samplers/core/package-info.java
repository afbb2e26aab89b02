/**
 * What every algorithm family shares and no user sees (this package is not exported): the one round loop
 * ({@link dev.ponder.samplers.core.RoundDriver} over an algorithm's {@link dev.ponder.samplers.core.Rounds}), the
 * check every score passes on arrival, and how the convenience front doors open their process.
 */
package dev.ponder.samplers.core;
