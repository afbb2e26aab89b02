/**
 * Rule verifiers: an answer extracted by a pattern and matched against a reference. Task-specific checkers (the
 * Countdown rule checker) live in the tasks module; a plain function becomes a verifier through
 * {@link dev.ponder.verifiers.Verifiers#of}.
 */
package dev.ponder.verifiers.rules;
