package dev.ponder.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Initializer shapes are read from the protobuf without the weights; a cut file is an error, not a partial map. */
class InitializersTest {

  @Test
  void tinyGpt2sTablesHaveTheShapesItWasBuiltWith() throws Exception {
    Map<String, long[]> shapes;
    try (InputStream in = Files.newInputStream(Zoo.model("tiny-gpt2/model.onnx"))) {
      shapes = Initializers.read(in);
    }
    assertThat(shapes.get("g.t.wte.weight")).containsExactly(30, 32); // vocab_size x n_embd
    assertThat(shapes.get("g.t.wpe.weight")).containsExactly(64, 32); // n_positions x n_embd
    assertThat(shapes.get("g.t.h.1.mlp.c_fc.weight")).containsExactly(32, 128);
    try (OnnxModel m = OnnxModel.load(Zoo.model("tiny-gpt2/model.onnx"), ModelOptions.cpu())) {
      assertThat(m.initializerNames()).containsExactlyElementsOf(shapes.keySet());
      assertThat(m.initializerShape("g.t.wpe.weight")).hasValueSatisfying(s -> assertThat(s).containsExactly(64, 32));
      assertThat(m.initializerShape("nope")).isEmpty();
    }
  }

  @Test
  void aTruncatedModelIsAnError() throws Exception {
    byte[] whole = Files.readAllBytes(Zoo.model("tiny-gpt2/model.onnx"));
    byte[] cut = Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> Initializers.read(new ByteArrayInputStream(cut)))
        .isInstanceOf(EOFException.class)
        .hasMessageStartingWith("truncated ONNX model at byte ");
  }
}
