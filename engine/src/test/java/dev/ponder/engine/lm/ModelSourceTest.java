package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.testing.Zoo;
import java.io.ByteArrayInputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A language model loads the same from a directory, a jar on the classpath, a URL and a map of bytes. */
class ModelSourceTest {
  private static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";

  /** The greedy continuation and the first next-token logits: equal for equal models. */
  private static String fingerprint(LanguageModel lm) {
    SearchContext ctx = SearchContext.builder().seed(3).build();
    try (LmProcess p = lm.process(PROMPT, Decoding.greedy().withMaxNewTokens(20))) {
      List<LmHypothesis> hs = p.start(1, ctx);
      String logits = java.util.Arrays.toString(p.nextLogits(hs.get(0)));
      while (!hs.get(0).isTerminal()) {
        hs = p.advance(hs, ctx);
      }
      return p.text(hs.get(0)) + "|" + logits;
    }
  }

  @Test
  void aJarOnTheClasspathAUrlAndBytesGiveTheSameModelAsTheDirectory(@TempDir Path tmp) throws Exception {
    Path dir = Zoo.model("countdown/policy");
    Path jar = tmp.resolve("models.jar");
    Map<String, byte[]> files = new HashMap<>();
    try (Stream<Path> list = Files.list(dir);
         JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path f : list.toList()) {
        files.put(f.getFileName().toString(), Files.readAllBytes(f));
        out.putNextEntry(new JarEntry("models/countdown/policy/" + f.getFileName()));
        out.write(files.get(f.getFileName().toString()));
        out.closeEntry();
      }
    }
    String expected;
    try (LanguageModel lm = LanguageModel.load(dir)) {
      expected = fingerprint(lm);
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      ModelSource classpath = ModelSource.classpath("models/countdown/policy", loader);
      try (LanguageModel lm = LanguageModel.load(classpath, ModelOptions.cpu())) {
        assertThat(lm.source().toString()).isEqualTo("classpath:models/countdown/policy/");
        assertThat(lm.session().file().toString()).isEqualTo("classpath:models/countdown/policy/model.onnx");
        assertThat(fingerprint(lm)).isEqualTo(expected);
      }
    }
    URL inJar = new URL("jar:" + jar.toUri() + "!/models/countdown/policy");
    try (LanguageModel lm = LanguageModel.load(ModelSource.url(inJar), ModelOptions.cpu())) {
      assertThat(fingerprint(lm)).isEqualTo(expected);
    }
    ModelSource bytes = ModelSource.of("memory:policy", name -> files.containsKey(name)
        ? new ByteArrayInputStream(files.get(name)) : null);
    try (LanguageModel lm = LanguageModel.load(bytes, ModelOptions.cpu())) {
      assertThat(fingerprint(lm)).isEqualTo(expected);
    }
  }

  @Test
  void aMissingFileIsNamedWithItsSource(@TempDir Path tmp) throws Exception {
    Files.write(tmp.resolve("model.onnx"), Files.readAllBytes(Zoo.model("tiny-gpt2/model.onnx")));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {tmp.toUri().toURL()}, null)) {
      assertThatThrownBy(() -> LanguageModel.load(ModelSource.classpath("nowhere", loader), ModelOptions.cpu()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("ONNX model file not found: classpath:nowhere/model.onnx");
      assertThatThrownBy(() -> LanguageModel.load(ModelSource.classpath("", loader), ModelOptions.cpu()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("missing classpath:config.json (expected a Hugging Face export");
      assertThatThrownBy(() -> ModelSource.classpath("/models", loader))
          .hasMessageContaining("must not start with '/'");
    }
  }

  @Test
  void theClasspathOfThisLibraryIsTheDefault() {
    // Test resources are not used for models; a prefix with nothing under it names itself.
    assertThatThrownBy(() -> LanguageModel.load(ModelSource.classpath("models/none"), ModelOptions.cpu()))
        .hasMessage("ONNX model file not found: classpath:models/none/model.onnx");
    assertThat(ModelSource.directory(Zoo.model("tiny-gpt2")).directory()).contains(Zoo.model("tiny-gpt2"));
  }
}
