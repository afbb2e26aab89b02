/**
 * Ponder's verifiers: the contract and its combinators (functions, ensembles, normalization, a score cache, explicit
 * policies for bad scores) in the root package; ONNX reward models, classifiers, reward gradients and embedding
 * similarity in .onnx; answer matching in .rules. Task-free: the Countdown checker lives in the tasks module.
 */
module dev.ponder.verifiers {
  requires transitive dev.ponder.engine;
  requires com.microsoft.onnxruntime; // the engine's ONNX layer, exported to this module, speaks its types
  requires ai.djl.tokenizers;
  requires com.fasterxml.jackson.databind;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports dev.ponder.verifiers;
  exports dev.ponder.verifiers.onnx;
  exports dev.ponder.verifiers.rules;
}
