package dev.ponder.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.TensorInfo;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every model in the committed zoo loads through the engine's ONNX layer and runs once on inputs made from its
 * own metadata (batch 2, one position, an empty past), producing finite outputs and leaving nothing open.
 */
class ZooSmokeTest {

  static Stream<Path> models() throws IOException {
    Path zoo = Zoo.root().resolve("onnx-models");
    try (Stream<Path> files = Files.walk(zoo)) {
      List<Path> found = files.filter(p -> p.getFileName().toString().endsWith(".onnx"))
          .filter(p -> !zoo.relativize(p).getName(0).toString().startsWith(".venv") // .venv, .venv-genai
              && !zoo.relativize(p).startsWith("work"))
          .sorted().toList();
      assertThat(found).as("models in the zoo").hasSizeGreaterThanOrEqualTo(10);
      return found.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void loadsAndRunsOnce(Path file) throws IOException {
    try (OnnxModel model = OnnxModel.load(file, ModelOptions.cpu().withThreads(1, 1))) {
      try (TensorScope scope = model.scope()) {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        long headSize = genaiHeadSize(file);
        model.inputs().forEach((name, info) -> inputs.put(name, dummy(scope, name, info, headSize)));
        TensorScope.Outputs out = scope.run(inputs, Map.of());
        for (String name : model.outputs().keySet()) {
          OnnxTensor t = out.tensor(name);
          if (t.getInfo().type == OnnxJavaType.FLOAT) {
            FloatBuffer values = t.getFloatBuffer();
            while (values.hasRemaining()) {
              assertThat(Float.isFinite(values.get())).as("output %s is finite", name).isTrue();
            }
          }
        }
      }
      assertThat(model.ledger().stillOpen()).isZero();
    }
  }

  /**
   * The head size an onnxruntime-genai export leaves symbolic in its KV inputs ('kv_cache_dim'), from the
   * genai_config.json beside it; -1 for other models.
   */
  private static long genaiHeadSize(Path file) throws IOException {
    Path config = file.resolveSibling("genai_config.json");
    if (!Files.exists(config)) {
      return -1;
    }
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()).path("model").path("decoder")
        .path("head_size").asLong(-1);
  }

  /**
   * Zeros of the declared type; symbolic dimensions: 0 for a past length, 1 for the sequence, 2 for the batch, the
   * genai head size for a KV input's last axis.
   */
  private static OnnxTensor dummy(TensorScope scope, String name, TensorInfo info, long headSize) {
    long[] shape = info.getShape().clone();
    for (int axis = 0; axis < shape.length; axis++) {
      if (shape[axis] < 0) {
        boolean kv = name.startsWith("past_key_values");
        shape[axis] = axis == 0 ? 2 : kv && axis == 2 ? 0 : kv && axis == 3 && headSize > 0 ? headSize : 1;
      }
    }
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect((int) Math.max(8, count * 8)).order(ByteOrder.nativeOrder());
    if (info.type == OnnxJavaType.INT64) {
      var longs = bytes.asLongBuffer();
      if (name.equals("attention_mask")) {
        for (int i = 0; i < count; i++) {
          longs.put(i, 1);
        }
      }
      return scope.longs(longs.limit((int) count), shape);
    }
    return scope.floats(bytes.asFloatBuffer().limit((int) count), shape);
  }
}
