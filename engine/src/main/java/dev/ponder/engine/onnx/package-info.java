/**
 * The ONNX Runtime layer, exported to the verifiers only: sessions with reference-counted closing ({@code OnnxModel}),
 * scoped tensors, contract checks on a graph's inputs and outputs, initializer shapes for config cross-checks, and
 * the ledger of native values a search opened. Its signatures name ONNX Runtime types; no exported package does.
 */
package dev.ponder.engine.onnx;
