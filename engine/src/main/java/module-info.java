/**
 * Ponder's engine: the contracts every search speaks ({@code dev.ponder.engine}), the language-model policy with KV
 * reuse ({@code .lm}), diffusion models and one-step generators ({@code .diffusion}) and the ONNX Runtime layer
 * ({@code .onnx}). See docs/architecture.md.
 */
module dev.ponder.engine {
  // The ONNX layer's public types still name ONNX Runtime's (OnnxModel, TensorScope): readers of this module read
  // ONNX Runtime too, until that layer is sealed behind qualified exports.
  requires transitive com.microsoft.onnxruntime;
  requires ai.djl.tokenizers;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;
  // The batch memory limit's default reads the JVM's direct-memory ceiling (-XX:MaxDirectMemorySize).
  requires java.management;
  requires static jdk.management;

  exports dev.ponder.engine;
  exports dev.ponder.engine.lm;
  exports dev.ponder.engine.diffusion;
  exports dev.ponder.engine.onnx;
}
