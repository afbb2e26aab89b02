/**
 * Ponder's verifiers: answer matching, function verifiers, ONNX outcome and process reward models, image
 * classifiers and reward gradients, embedding similarity, ensembles, normalization, a score cache and explicit
 * policies for bad scores. Task-free: the Countdown checker lives in the tasks module.
 */
module dev.ponder.verifiers {
  requires transitive dev.ponder.engine;
  requires com.microsoft.onnxruntime; // the engine's ONNX layer, exported to this module, speaks its types
  requires ai.djl.tokenizers;
  requires com.fasterxml.jackson.databind;
  requires com.github.benmanes.caffeine;
  requires org.slf4j;

  exports dev.ponder.verifiers;
}
