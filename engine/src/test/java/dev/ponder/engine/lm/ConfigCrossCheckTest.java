package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json is checked against the graph at load: tiny-gpt2's graph has 30 logits per position and a 64-row
 * position table (g.t.wpe.weight), and that is what the model uses whatever its config claims.
 */
class ConfigCrossCheckTest {

  @Test
  void theZooLoadsWithTheGraphsOwnVocabularyAndPositions() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"))) {
      assertThat(lm.vocabSize()).isEqualTo(30);
      assertThat(lm.config().maxPositions()).isEqualTo(64);
    }
    try (LanguageModel lm = LanguageModel.load(Zoo.model("countdown/policy"))) {
      assertThat(lm.vocabSize()).isEqualTo(30);
      assertThat(lm.config().maxPositions()).isEqualTo(128);
    }
  }

  @Test
  void aMissingPositionCountIsReadFromThePositionTableSoLongPromptsAreStillRefused(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "config.json", c -> c.remove("n_positions"));
    try (LanguageModel lm = LanguageModel.load(dir)) {
      assertThat(lm.config().maxPositions()).isEqualTo(64);
      int[] prompt = new int[64];
      Arrays.fill(prompt, 8);
      assertThatThrownBy(() -> lm.process(prompt, Decoding.greedy()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the prompt has 64 tokens; this model handles at most 64 positions in all");
      try (LmProcess p = lm.process(Arrays.copyOf(prompt, 63), Decoding.greedy())) {
        assertThat(p.promptLength()).isEqualTo(63);
      }
    }
  }

  @Test
  void withoutAPositionCountDecodingIsCutAtThePositionTableInsteadOfFailingInsideTheRuntime(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "config.json", c -> c.remove("n_positions"));
    int[] prompt = new int[60];
    Arrays.fill(prompt, 8);
    try (LanguageModel lm = LanguageModel.load(dir);
         LmProcess p = lm.process(prompt, Decoding.sampling().withMaxNewTokens(50))) {
      dev.ponder.engine.SearchContext ctx = dev.ponder.engine.SearchContext.builder().seed(4).build();
      java.util.List<LmHypothesis> hs = p.start(8, ctx);
      while (hs.stream().anyMatch(h -> !h.isTerminal())) {
        hs = p.advance(hs, ctx);
      }
      // Every hypothesis ends by end-of-sequence or is cut at 64 tokens: 60 prompt + at most 4 generated.
      assertThat(hs).allMatch(h -> h.finished ? h.generatedLength() <= 4 : h.cut && h.length == 64);
      assertThat(hs).anyMatch(h -> h.cut);
    }
  }

  @Test
  void aPositionCountLargerThanThePositionTableIsAnErrorNamingBoth(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "config.json", c -> c.put("n_positions", 1000));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("config.json says n_positions 1000 but the graph's position table"
            + " 'g.t.wpe.weight' [64, 32] holds 64 positions")
        .hasMessageContaining("set n_positions to 64 or remove it");
  }

  @Test
  void aNonNumericPositionCountIsAnError(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "config.json", c -> c.put("n_positions", "sixty-four"));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageEndingWith("config.json: n_positions must be a positive integer, was \"sixty-four\"");
  }

  @Test
  void aVocabularySizeThatDisagreesWithTheLogitsIsAnErrorNamingBoth(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "config.json", c -> c.put("vocab_size", 50257));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("config.json says vocab_size 50257 but the graph's 'logits' output [-1, -1, 30] has 30");
  }

  @Test
  void anEndOfSequenceIdOutsideTheGraphsVocabularyIsAnError(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "generation_config.json", c -> c.put("eos_token_id", 30));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageEndingWith("generation_config.json: eos_token_id 30 is not a token id of this model; expected"
            + " integers in [0, 30) (the vocabulary of its graph)");
    Exports.editJson(dir, "generation_config.json", c -> c.putArray("eos_token_id").add(0).add(-1));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .hasMessageContaining("eos_token_id [0,-1] is not a token id of this model");
  }

  /** A directory with a TinyOnnx graph, tiny-gpt2's tokenizer, eos 0 and the given config.json entries. */
  private static Path tiny(Path dir, TinyOnnx graph, String configJson) throws java.io.IOException {
    java.nio.file.Files.write(dir.resolve("model.onnx"), graph.bytes());
    java.nio.file.Files.copy(Zoo.model("tiny-gpt2/tokenizer.json"), dir.resolve("tokenizer.json"));
    java.nio.file.Files.writeString(dir.resolve("config.json"), configJson);
    java.nio.file.Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 0}");
    return dir;
  }

  @Test
  void aSymbolicLogitsAxisTakesTheVocabularyFromTheEmbeddingTable(@TempDir Path dir) throws Exception {
    TinyOnnx graph = TinyOnnx.decoder("model.embed_tokens.weight", 12, false);
    tiny(dir, graph, "{\"max_position_embeddings\": 16}");
    try (LanguageModel lm = LanguageModel.load(dir)) {
      assertThat(lm.vocabSize()).isEqualTo(12);
      assertThat(lm.config().maxPositions()).as("a rotary-style model: the config is all there is").isEqualTo(16);
      assertThat(lm.hasKvCache()).isFalse();
    }
    java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"vocab_size\": 13, \"max_position_embeddings\": 16}");
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("config.json says vocab_size 13 but the graph's embedding table"
            + " 'model.embed_tokens.weight' [12, 12] has 12 rows");
  }

  @Test
  void aModelThatTellsNoPositionCountIsRefusedAtLoadNotInsideTheRuntime(@TempDir Path dir) throws Exception {
    tiny(dir, TinyOnnx.decoder("model.embed_tokens.weight", 12, true), "{\"vocab_size\": 12}");
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("config.json has no n_positions or max_position_embeddings, and the graph has"
            + " neither a learned position table (named *[wpe.weight, decoder.embed_positions.weight]) nor a rotary"
            + " cos cache; add max_position_embeddings to");
  }

  @Test
  void positionsComeFromAPositionTableOrARotaryCache(@TempDir Path a, @TempDir Path b) throws Exception {
    tiny(a, TinyOnnx.decoder("wte.weight", 12, true).initializer("h.wpe.weight", 20, 12), "{}");
    try (LanguageModel lm = LanguageModel.load(a)) {
      assertThat(lm.config().maxPositions()).isEqualTo(20);
    }
    tiny(b, TinyOnnx.decoder("wte.weight", 12, true).initializer("model.rotary_emb.cos_cached", 24, 4), "{}");
    try (LanguageModel lm = LanguageModel.load(b)) {
      assertThat(lm.config().maxPositions()).isEqualTo(24);
    }
  }

  @Test
  void aTokenClassificationRewardModelIsRejectedAsAPolicy() {
    assertThatThrownBy(() -> LanguageModel.load(Zoo.model("countdown/prm")))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("is a classification model, not a language model: config.json names"
            + " GPT2ForTokenClassification, and its 'logits' output has 1 value(s) per position (1 label(s) in"
            + " id2label) where a language model has one per vocabulary token (vocab_size 30)")
        .hasMessageContaining("as a process reward model (verifiers: OnnxProcessReward)");
  }
}
