package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Pins the module's public surface: adding a public type is a decision, not an accident. */
class PublicApiTest {

  @Test
  void publicTypesAreExactlyThese() throws IOException, URISyntaxException, ClassNotFoundException {
    Path dir = Path.of(Verifier.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("dev/ponder/verifiers");
    TreeSet<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
        String simple = f.getFileName().toString().replace(".class", "");
        Class<?> c = Class.forName("dev.ponder.verifiers." + simple);
        boolean visible = Modifier.isPublic(c.getModifiers());
        for (Class<?> outer = c.getEnclosingClass(); outer != null && visible; outer = outer.getEnclosingClass()) {
          visible = Modifier.isPublic(outer.getModifiers());
        }
        if (visible && !c.isAnonymousClass()) {
          names.add(simple.replace('$', '.'));
        }
      }
    }
    assertThat(names).containsExactlyElementsOf(new TreeSet<>(List.of(
        "AnswerVerifier", "AnswerVerifier.Builder",
        "BadScoreException", "BadScorePolicy", "BadScorePolicy.BadScore", "BadScorePolicy.Builder",
        "CountdownChecker", "CountdownProblem", "CountdownVerdict", "CountdownVerdict.Reason",
        "EmbeddingSimilarity", "EmbeddingSimilarity.Builder", "ImageClassifier",
        "Normalization",
        "OnnxOutcomeReward", "OnnxOutcomeReward.Builder",
        "OnnxProcessReward", "OnnxProcessReward.Aggregation", "OnnxProcessReward.Builder", "OnnxRewardGradient",
        "Overflow", "ScoreTransform",
        "Verifier", "VerifierCache", "VerifierCache.Stats", "VerifierInput", "Verifiers")));
  }
}
