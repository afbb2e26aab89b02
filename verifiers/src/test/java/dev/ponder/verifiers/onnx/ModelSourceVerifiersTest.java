package dev.ponder.verifiers.onnx;

import dev.ponder.verifiers.Verifier.VerifierInput;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ONNX verifiers, text and image, load from any source (here a URL, so from bytes) and score as from their
 * directory.
 */
class ModelSourceVerifiersTest {
  private static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  private static final List<VerifierInput> TEXTS = List.of(
      VerifierInput.of(PROMPT, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85"),
      VerifierInput.of(PROMPT, "50 + 25 = 75\nanswer: 75"),
      VerifierInput.of(PROMPT, "7 * 3 = 21\n"));

  private static ModelSource fromUrl(Path dir) throws Exception {
    return ModelSource.url(dir.toUri().toURL());
  }

  @Test
  void anOutcomeRewardFromAUrlScoresAsFromItsDirectory() throws Exception {
    Path dir = Zoo.root().resolve("onnx-models/countdown/orm-cached");
    try (OnnxOutcomeReward fromDir = OnnxOutcomeReward.load(dir);
         OnnxOutcomeReward fromUrl = OnnxOutcomeReward.load(fromUrl(dir))) {
      assertThat(fromUrl.score(TEXTS, SearchContext.builder().build()))
          .containsExactly(fromDir.score(TEXTS, SearchContext.builder().build()));
    }
  }

  @Test
  void aProcessRewardFromAUrlScoresAsFromItsDirectory() throws Exception {
    Path dir = Zoo.root().resolve("onnx-models/countdown/prm-cached");
    try (OnnxProcessReward fromDir = OnnxProcessReward.load(dir);
         OnnxProcessReward fromUrl = OnnxProcessReward.load(fromUrl(dir))) {
      assertThat(fromUrl.score(TEXTS, SearchContext.builder().build()))
          .containsExactly(fromDir.score(TEXTS, SearchContext.builder().build()));
    }
  }

  @Test
  void imageVerifiersFromAUrlScoreAsFromTheirDirectories() throws Exception {
    Path classifierDir = Zoo.model("digits/classifier");
    Path gradientDir = Zoo.model("digits/reward-grad");
    float[][] noise = new float[3][];
    java.util.Random random = new java.util.Random(5);
    try (ImageClassifier fromDir = ImageClassifier.load(classifierDir);
         ImageClassifier fromUrl = ImageClassifier.load(fromUrl(classifierDir), ModelOptions.cpu());
         OnnxRewardGradient gradDir = OnnxRewardGradient.load(gradientDir);
         OnnxRewardGradient gradUrl = OnnxRewardGradient.load(fromUrl(gradientDir), ModelOptions.cpu())) {
      for (int i = 0; i < noise.length; i++) {
        noise[i] = new float[gradDir.dimension()];
        for (int j = 0; j < noise[i].length; j++) {
          noise[i][j] = (float) random.nextGaussian();
        }
      }
      float[][] images = new float[3][fromDir.dimension()];
      for (int i = 0; i < images.length; i++) {
        for (int j = 0; j < images[i].length; j++) {
          images[i][j] = (float) random.nextGaussian();
        }
      }
      SearchContext ctx = SearchContext.builder().build();
      assertThat(fromUrl.logProbabilities(images, null, ctx)).isDeepEqualTo(fromDir.logProbabilities(images, null, ctx));
      assertThat(gradUrl.dimension()).isEqualTo(gradDir.dimension());
      assertThat(gradUrl.forClass(7).valueAndGradient(noise, SearchContext.builder().build()).values())
          .containsExactly(gradDir.forClass(7).valueAndGradient(noise, SearchContext.builder().build()).values());
    }
  }

  @Test
  void aSourceWithoutATokenizerSaysWhatIsMissing(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    Files.copy(Zoo.root().resolve("onnx-models/countdown/orm/model.onnx"), tmp.resolve("model.onnx"));
    Files.copy(Zoo.root().resolve("onnx-models/countdown/orm/config.json"), tmp.resolve("config.json"));
    assertThatThrownBy(() -> OnnxOutcomeReward.load(fromUrl(tmp)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenizer file not found")
        .hasMessageContaining("tokenizer.json");
  }
}
