/**
 * The verifier contract ({@link dev.ponder.verifiers.Verifier} over {@link dev.ponder.verifiers.Verifier.VerifierInput}) and
 * the combinators over any verifiers ({@link dev.ponder.verifiers.Verifiers}: functions, ensembles, normalization,
 * explicit policies for NaN or infinite scores; {@link dev.ponder.verifiers.Verifiers.VerifierCache}). Model-backed verifiers
 * are in {@code .onnx}, rule verifiers in {@code .rules}. Each adapts to the engine's scorers
 * ({@link dev.ponder.verifiers.Verifier#asOutcomeScorer()}, {@link dev.ponder.verifiers.Verifier#asProcessScorer()}).
 */
package dev.ponder.verifiers;
