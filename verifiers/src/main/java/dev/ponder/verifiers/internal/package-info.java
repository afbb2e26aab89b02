/**
 * What the verifier packages share and users do not see (not exported): checked score calls, the adapter to the
 * engine's scorers, message quoting.
 */
package dev.ponder.verifiers.internal;
