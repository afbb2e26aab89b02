/**
 * The contracts every search speaks: {@link dev.ponder.engine.GenerativeProcess} (what a search drives),
 * {@link dev.ponder.engine.OutcomeScorer} and {@link dev.ponder.engine.ProcessScorer} (what ranks it),
 * {@link dev.ponder.engine.Budget} and {@link dev.ponder.engine.SearchContext} (what it may spend, its random
 * streams, its cancellation), {@link dev.ponder.engine.SearchEvent} (what it reports as it goes) and
 * {@link dev.ponder.engine.SearchResult} with its {@link dev.ponder.engine.SearchResult.StopReason} and
 * {@link dev.ponder.engine.SearchTrace} (what it returns).
 */
package dev.ponder.engine;
