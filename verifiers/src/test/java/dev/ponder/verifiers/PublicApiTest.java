package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.PublicTypes;
import java.io.IOException;
import java.net.URISyntaxException;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Pins the module's public surface: adding a public type is a decision, not an accident. */
class PublicApiTest {

  @Test
  void publicTypesAreExactlyThese() throws IOException, URISyntaxException, ClassNotFoundException {
    TreeSet<String> names = PublicTypes.of(Verifier.class);
    assertThat(names).containsExactlyElementsOf(new TreeSet<>(List.of(
        "AnswerVerifier", "AnswerVerifier.Builder",
        "BadScoreException", "BadScorePolicy", "BadScorePolicy.BadScore", "BadScorePolicy.Builder",
        "EmbeddingSimilarity", "EmbeddingSimilarity.Builder", "ImageClassifier",
        "Normalization",
        "OnnxOutcomeReward", "OnnxOutcomeReward.Builder",
        "OnnxProcessReward", "OnnxProcessReward.Builder", "OnnxRewardGradient",
        "Overflow", "ScoreTransform",
        "Verifier", "VerifierCache", "VerifierCache.Stats", "VerifierInput", "Verifiers")));
  }
}
