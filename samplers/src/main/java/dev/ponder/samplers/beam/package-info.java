/**
 * Beam searches: step-level beam and diverse verifier tree search (DVTS) over any process, guided by a process
 * scorer; and token-level beam search over a language model, matching Hugging Face {@code generate}'s beam search.
 */
package dev.ponder.samplers.beam;
