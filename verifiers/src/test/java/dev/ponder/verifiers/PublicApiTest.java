package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.PublicTypes;
import dev.ponder.verifiers.internal.Scores;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.rules.AnswerVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Pins the module's public surface package by package: adding a public type is a decision, not an accident. The
 * shared plumbing ({@code internal}) is public for the sub-packages but not exported.
 */
class PublicApiTest {

  @Test
  void theContractAndTheCombinators() throws IOException, URISyntaxException, ClassNotFoundException {
    assertThat(PublicTypes.of(Verifier.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "BadScorePolicy", "BadScorePolicy.BadScore", "BadScorePolicy.BadScoreException", "BadScorePolicy.Builder",
        "Verifier", "Verifier.Normalization", "Verifier.VerifierInput", "Verifiers", "Verifiers.VerifierCache",
        "Verifiers.VerifierCache.Stats")));
  }

  @Test
  void onnxModelsAndRules() throws IOException, URISyntaxException, ClassNotFoundException {
    assertThat(PublicTypes.of(OnnxOutcomeReward.class)).containsExactlyElementsOf(new TreeSet<>(List.of(
        "EmbeddingSimilarity", "EmbeddingSimilarity.Builder", "ImageClassifier",
        "OnnxOutcomeReward", "OnnxOutcomeReward.Builder", "OnnxOutcomeReward.Overflow", "OnnxProcessReward",
        "OnnxProcessReward.Builder", "OnnxRewardGradient", "ScoreTransform")));
    assertThat(PublicTypes.of(AnswerVerifier.class)).containsExactly("AnswerVerifier", "AnswerVerifier.Builder");
  }

  /** Issue 13 set at most 45 top-level public types across engine, samplers and verifiers: 23 + 12 + 10. */
  @Test
  void theExportedPackagesHoldTenTopLevelTypes() throws IOException, URISyntaxException, ClassNotFoundException {
    long topLevel = 0;
    for (Class<?> anchor : List.of(Verifier.class, OnnxOutcomeReward.class, AnswerVerifier.class)) {
      topLevel += PublicTypes.of(anchor).stream().filter(name -> !name.contains(".")).count();
    }
    assertThat(topLevel).isEqualTo(10);
  }

  @Test
  void theModuleExportsAllButTheInternals() throws IOException, URISyntaxException {
    // The tests run on the class path, so read the compiled descriptor itself.
    Path classes = Path.of(Verifier.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor module;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      module = ModuleDescriptor.read(in);
    }
    Set<String> exported = module.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertThat(exported).containsExactlyInAnyOrder("dev.ponder.verifiers", "dev.ponder.verifiers.onnx",
        "dev.ponder.verifiers.rules");
    assertThat(exported).doesNotContain(Scores.class.getPackageName());
  }
}
