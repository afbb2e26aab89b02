/**
 * Verifiers that score texts or samples: answer matching, plain functions, ONNX outcome and process reward models,
 * image classifiers and reward gradients, embedding similarity, ensembles, normalization, a score cache and
 * explicit policies for NaN or infinite scores. Each adapts to the engine's scorers
 * ({@link dev.ponder.verifiers.Verifier#asOutcomeScorer()}, {@link dev.ponder.verifiers.Verifier#asProcessScorer()}).
 */
package dev.ponder.verifiers;
