/**
 * Best-of-N and plain sampling over any process: N independent runs, scored by an outcome scorer (none for
 * sampling) and one picked by a {@link dev.ponder.samplers.bestofn.BestOfNSearch.Selection}; optionally pruned part-way, or
 * stopped early once a candidate clears a threshold or the majority answer is settled.
 */
package dev.ponder.samplers.bestofn;
