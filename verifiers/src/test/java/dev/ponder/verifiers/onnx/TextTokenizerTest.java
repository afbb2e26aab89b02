package dev.ponder.verifiers.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ids-only encode gives exactly what DJL's full {@link Encoding} gives, with and without special tokens. */
class TextTokenizerTest {
  private static final List<String> TEXTS = List.of("numbers: 3 7 25 50 target: 85\n50+25=75\n", "a", "",
      "The quick brown fox, jumping over 13 lazy dogs!", "  spaces   and\ttabs\n", "ünïcödé ☃ text");

  private static void sameIdsAsDjl(Path tokenizerJson, boolean special) throws IOException {
    try (HuggingFaceTokenizer djl = HuggingFaceTokenizer.newInstance(tokenizerJson, Map.of("addSpecialTokens",
        String.valueOf(special), "truncation", "false", "padding", "false"));
         TextTokenizer ours = TextTokenizer.load(tokenizerJson, special)) {
      for (String text : TEXTS) {
        Encoding e = djl.encode(text);
        assertThat(ours.encode(text, Integer.MAX_VALUE, Overflow.FAIL, "t", true)).as(text).containsExactly(e.getIds());
        if (e.getIds().length > 2) { // a cut reads the special-token mask: keep the last token(s) marked special
          long[] cut = TextTokenizer.fit(e.getIds(), e.getSpecialTokenMask(), 2, Overflow.KEEP_FIRST, () -> "");
          assertThat(ours.encode(text, 2, Overflow.KEEP_FIRST, "t", true)).as(text).containsExactly(cut);
        }
      }
    }
  }

  @Test
  void bertTokenizerWithSpecialTokens() throws IOException {
    sameIdsAsDjl(Fixtures.dir("../minilm").resolve("tokenizer.json"), true);
  }

  @Test
  void characterTokenizerWithout() throws IOException {
    sameIdsAsDjl(Fixtures.dir("orm1").resolve("tokenizer.json"), false);
  }
}
