/**
 * The ONNX Runtime layer: sessions with reference-counted closing ({@code OnnxModel}), device selection and
 * {@link dev.ponder.engine.onnx.ModelOptions}, where models load from ({@link dev.ponder.engine.onnx.ModelSource}),
 * contract checks on a graph's inputs and outputs, and the ledger of native values a search opened.
 */
package dev.ponder.engine.onnx;
