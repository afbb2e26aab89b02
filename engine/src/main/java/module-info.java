/**
 * Ponder's engine: the contracts every search speaks ({@code dev.ponder.engine}), the language-model policy with KV
 * reuse ({@code .lm}), diffusion models and one-step generators ({@code .diffusion}), how models are loaded
 * ({@code .model}: options, sources, load errors) and, not exported but to the verifiers, the ONNX Runtime layer
 * ({@code .onnx}). See docs/architecture.md.
 */
module dev.ponder.engine {
  // No exported signature names an ONNX Runtime type: the layer that does (.onnx) is exported to the verifiers only.
  requires com.microsoft.onnxruntime;
  requires ai.djl.tokenizers;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  // The batch memory limit's default reads the JVM's direct-memory ceiling (-XX:MaxDirectMemorySize).
  requires java.management;
  requires static jdk.management;

  exports dev.ponder.engine;
  exports dev.ponder.engine.lm;
  exports dev.ponder.engine.diffusion;
  exports dev.ponder.engine.model;
  exports dev.ponder.engine.onnx to dev.ponder.verifiers;
}
