package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Parity with Hugging Face transformers: the tiny random GPT-2's logits, computed in PyTorch by
 * onnx-models/tiny-gpt2/build.py, for a left-padded batch of three prompts of different lengths and three greedy
 * decode steps — through the KV-cache export, the export without a cache (recompute), and the export without
 * position_ids.
 */
class GoldenLogitsTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "tiny-gpt2, , decode_logits_cached",
      "tiny-gpt2/no-cache, , decode_logits_recompute",
      "tiny-gpt2/no-position-ids, no_position_ids, decode_logits_cached"})
  void matchesTransformersLogitsThroughPrefillAndThreeDecodeSteps(String modelDir, String section, String decodeKey)
      throws IOException {
    JsonNode golden = new ObjectMapper().readTree(Zoo.model("tiny-gpt2/golden_logits.json").toFile());
    JsonNode expected = section == null ? golden : golden.get(section);
    List<int[]> prompts = unpaddedPrompts(golden);

    try (LanguageModel lm = LanguageModel.load(Zoo.model(modelDir));
         LmProcess process = lm.process(prompts.get(0), Decoding.greedy().withMaxNewTokens(10))) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.startEach(prompts, ctx);
      assertRowsMatch(process, rows, expected.get("prefill_last_logits"), "prefill");

      JsonNode tokens = expected.has("decode_tokens") ? expected.get("decode_tokens") : golden.get("decode_tokens");
      for (int step = 0; step < 3; step++) {
        rows = process.advance(rows, ctx);
        for (int r = 0; r < rows.size(); r++) {
          int[] all = rows.get(r).allTokens();
          assertThat(all[all.length - 1]).as("greedy token, step %d row %d", step, r)
              .isEqualTo(tokens.get(step).get(r).asInt());
        }
        assertRowsMatch(process, rows, expected.get(decodeKey).get(step), "decode step " + step);
      }
      assertThat(ctx.counters().modelCalls()).isEqualTo(4);
      if (lm.hasKvCache()) {
        // 15 prompt tokens once, then one new token per row per step: nothing is re-processed.
        assertThat(ctx.counters().policyTokens()).isEqualTo(15 + 3 * 3);
      } else {
        assertThat(ctx.counters().policyTokens()).isEqualTo(15 + (18) + (21) + (24));
      }
    }
  }

  private static void assertRowsMatch(LmProcess process, List<LmHypothesis> rows, JsonNode expected, String what) {
    for (int r = 0; r < rows.size(); r++) {
      float[] actual = process.nextLogits(rows.get(r));
      JsonNode row = expected.get(r);
      assertThat(actual).as("vocabulary size, %s row %d", what, r).hasSize(row.size());
      for (int v = 0; v < actual.length; v++) {
        assertThat((double) actual[v]).as("logit %d, %s row %d", v, what, r)
            .isCloseTo(row.get(v).asDouble(), org.assertj.core.data.Offset.offset(TOLERANCE));
      }
    }
  }

  private static List<int[]> unpaddedPrompts(JsonNode golden) {
    List<int[]> prompts = new ArrayList<>();
    JsonNode ids = golden.get("input_ids");
    JsonNode mask = golden.get("attention_mask");
    for (int r = 0; r < ids.size(); r++) {
      List<Integer> kept = new ArrayList<>();
      for (int j = 0; j < ids.get(r).size(); j++) {
        if (mask.get(r).get(j).asInt() == 1) {
          kept.add(ids.get(r).get(j).asInt());
        }
      }
      prompts.add(kept.stream().mapToInt(Integer::intValue).toArray());
    }
    return prompts;
  }

  static Path tiny() {
    return Zoo.model("tiny-gpt2");
  }
}
