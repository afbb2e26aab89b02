package dev.ponder.engine.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.testing.Zoo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A denoiser and a generator read from bytes (any non-directory source) compute what they do from a directory. */
class ModelSourceLoadTest {

  private static ModelSource inMemory(Path dir) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path f : list.filter(Files::isRegularFile).toList()) {
        files.put(f.getFileName().toString(), Files.readAllBytes(f));
      }
    }
    return ModelSource.of("memory:" + dir.getFileName(), n -> files.containsKey(n) ? new ByteArrayInputStream(files.get(n)) : null);
  }

  @Test
  void aDenoiserFromBytesPredictsTheSameNoise() throws IOException {
    float[][] x = new float[2][64];
    for (int i = 0; i < 64; i++) {
      x[0][i] = (i % 7) / 7f - 0.5f;
      x[1][i] = (i % 5) / 5f - 0.5f;
    }
    SearchContext ctx = SearchContext.builder().build();
    try (DiffusionModel dir = DiffusionModel.load(Zoo.model("digits/denoiser"));
         DiffusionModel mem = DiffusionModel.load(inMemory(Zoo.model("digits/denoiser")), ModelOptions.cpu())) {
      assertThat(mem.predictNoise(x, new int[] {10, 900}, ctx)).isDeepEqualTo(dir.predictNoise(x, new int[] {10, 900}, ctx));
      assertThat(mem.source().toString()).isEqualTo("memory:denoiser");
      assertThatThrownBy(mem::directory).hasMessageContaining("was not loaded from a directory");
    }
  }

  @Test
  void aGeneratorFromBytesGeneratesTheSameSamples() throws IOException {
    SearchContext ctx = SearchContext.builder().build();
    try (GeneratorModel dir = GeneratorModel.load(Zoo.model("digits/generator"));
         GeneratorModel mem = GeneratorModel.load(inMemory(Zoo.model("digits/generator")), ModelOptions.cpu())) {
      float[][] noise = new float[1][dir.noiseDimension()];
      for (int i = 0; i < noise[0].length; i++) {
        noise[0][i] = (i % 3) - 1f;
      }
      assertThat(mem.generate(noise, ctx)).isDeepEqualTo(dir.generate(noise, ctx));
    }
  }

  @Test
  void aMissingSchedulerConfigIsNamedWithItsSource() {
    ModelSource onlyModel = ModelSource.of("memory:x", n -> {
      try {
        return n.equals("model.onnx") ? Files.newInputStream(Zoo.model("digits/denoiser/model.onnx")) : null;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThatThrownBy(() -> DiffusionModel.load(onlyModel, ModelOptions.cpu()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("missing memory:x/scheduler_config.json (a denoiser needs diffusers' scheduler_config.json beside"
            + " model.onnx)");
  }
}
