/**
 * Verifiers backed by ONNX models: outcome and process reward models over text (Hugging Face sequence and token
 * classifiers, scored in one batched call per list, with the PRM's prefix-state reuse), embedding similarity,
 * image classifiers and reward gradients for the digit searches. {@code ModelDir} reads the text exports'
 * config and tokenizer (directory, classpath or URL); the image models are a single {@code model.onnx}.
 */
package dev.ponder.verifiers.onnx;
