/**
 * A remote policy over {@code /v1/completions}: {@link dev.ponder.remote.CompletionClient} (asynchronous, retrying,
 * cancellable requests), {@link dev.ponder.remote.RemoteProcess} (one step = one completion per hypothesis, a round's
 * requests at once) and {@link dev.ponder.remote.RemoteJudge} (a Yes/No verdict from log-probabilities).
 */
package dev.ponder.remote;
