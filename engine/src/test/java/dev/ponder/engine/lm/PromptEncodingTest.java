package dev.ponder.engine.lm;

import dev.ponder.engine.testing.BosPostProcessor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prompts are encoded as Hugging Face's {@code tokenizer(prompt)} does (special tokens by the tokenizer's own
 * post-processor), and a character the tokenizer cannot encode is an error instead of vanishing.
 * The countdown character tokenizer: ids 1 '\n', 2 ' ', 7..16 '0'..'9', 17 ':', 19 'a'; 0 is <|endoftext|>.
 */
class PromptEncodingTest {

  @Test
  void charactersOutsideTheVocabularyAreNamedWithTheirIndices() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("countdown/policy"))) {
      assertThatThrownBy(() -> lm.encode("☃☃"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot encode 2 character(s) of the text: '☃' (U+2603) at 0, '☃' (U+2603) at 1;");
      // Indices are String indices: the emoji before '☃' takes two chars.
      assertThatThrownBy(() -> lm.process("1😀2☃\t", Decoding.greedy()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cannot encode 3 character(s) of the text: '😀' (U+1F600) at 1, '☃' (U+2603) at 4,"
              + " '\t' (U+0009) at 5;");
      assertThat(lm.encode("12: a\n")).containsExactly(8, 9, 17, 2, 19, 1);
      // A special token written in the text is encoded, not taken for characters '<' and '|' it cannot encode.
      assertThat(lm.encode("7<|endoftext|>")).containsExactly(14, 0);
      assertThatThrownBy(() -> lm.encode("☃<|endoftext|>"))
          .hasMessageContaining("cannot encode 1 character(s) of the text: '☃' (U+2603) at 0;");
    }
  }

  @Test
  void charactersOnlyTheUnknownTokenStandsForAreNamedToo(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    Exports.editJson(dir, "tokenizer.json", t -> ((com.fasterxml.jackson.databind.node.ObjectNode) t.get("model"))
        .put("unk_token", "<|endoftext|>"));
    try (LanguageModel lm = LanguageModel.load(dir)) {
      assertThatThrownBy(() -> lm.encode("1☃"))
          .hasMessageContaining("cannot encode 1 character(s) of the text: '☃' (U+2603) at 1;");
      assertThat(lm.encode("12")).containsExactly(8, 9);
    }
  }

  @Test
  void theTokenizersPostProcessorAddsItsBosByDefaultAndTheOptionTurnsItOff(@TempDir Path dir) {
    Exports.copy("tiny-gpt2", dir);
    // A Llama-style template: BOS (here <|endoftext|>, id 0) before the text, as TemplateProcessing writes it.
    Exports.editJson(dir, "tokenizer.json", BosPostProcessor::addTo);
    try (LanguageModel lm = LanguageModel.load(dir);
         LmProcess p = lm.process("12", Decoding.greedy())) {
      assertThat(lm.encode("12")).containsExactly(0, 8, 9);
      assertThat(p.promptLength()).isEqualTo(3);
    }
    try (LanguageModel lm = LanguageModel.load(dir, ModelOptions.cpu().withSpecialTokens(false))) {
      assertThat(lm.encode("12")).containsExactly(8, 9);
    }
  }

  @Test
  void theZooTokenizersAddNothingSoSeededPromptsAreUnchanged() {
    for (String model : new String[] {"tiny-gpt2", "countdown/policy"}) {
      try (LanguageModel with = LanguageModel.load(Zoo.model(model));
           LanguageModel without = LanguageModel.load(Zoo.model(model), ModelOptions.cpu().withSpecialTokens(false))) {
        String prompt = "numbers: 3 7 25 50 target: 85\n";
        assertThat(with.encode(prompt)).containsExactly(without.encode(prompt)).hasSize(30);
      }
    }
  }
}
