package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trained Llama Countdown policy (issue 19; onnx-models/countdown/policy-llama, made by
 * countdown/train_llama_policy.py and export_llama_policy.py): greedy decoding equals transformers' generate
 * (policy-llama/golden.json, whole solutions up to 72 tokens) through the onnxruntime-genai builder's
 * GroupQueryAttention export and the optimum export of the same weights, one prompt at a time and batched across
 * prompt lengths. Token beam: samplers' GenaiTokenBeamGoldenTest.
 */
class PolicyLlamaGoldenTest {
  private static JsonNode golden() throws IOException {
    return new ObjectMapper().readTree(Zoo.model("countdown/policy-llama/golden.json").toFile());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"countdown/policy-llama/genai-fp32", "countdown/policy-llama/optimum"})
  void greedyEqualsTransformersOnePromptAtATime(String dir) throws IOException {
    JsonNode golden = golden();
    int max = golden.get("max_new_tokens").asInt();
    try (LanguageModel lm = LanguageModel.load(Zoo.model(dir))) {
      assertThat(lm.maskSumAttention()).isEqualTo(dir.contains("genai"));
      for (JsonNode r : golden.get("results")) {
        int[] got = GenaiLayoutTest.greedy(lm, GenaiLayoutTest.ints(r.get("prompt_ids")), max);
        assertThat(got).as("%s %s", dir, r.get("id").asText())
            .containsExactly(GenaiLayoutTest.ints(r.get("greedy_ids")));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"countdown/policy-llama/genai-fp32", "countdown/policy-llama/optimum"})
  void greedyEqualsTransformersBatchedAcrossPromptLengths(String dir) throws IOException {
    JsonNode golden = golden();
    List<int[]> prompts = new ArrayList<>();
    for (JsonNode r : golden.get("results")) {
      prompts.add(GenaiLayoutTest.ints(r.get("prompt_ids")));
    }
    assertThat(prompts.stream().mapToInt(p -> p.length).distinct().count()).as("prompt lengths differ").isGreaterThan(1);
    int max = golden.get("max_new_tokens").asInt();
    try (LanguageModel lm = LanguageModel.load(Zoo.model(dir));
         LmProcess process = lm.process(prompts.get(0), Decoding.greedy().withMaxNewTokens(max))) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.startEach(prompts, ctx);
      List<LmHypothesis> all = List.copyOf(rows);
      while (!rows.isEmpty()) {
        rows = process.advance(rows, ctx).stream().filter(h -> !h.isTerminal()).toList();
      }
      for (int i = 0; i < all.size(); i++) {
        JsonNode r = golden.get("results").get(i);
        assertThat(all.get(i).generatedTokens()).as("%s %s", dir, r.get("id").asText())
            .containsExactly(GenaiLayoutTest.ints(r.get("greedy_ids")));
      }
    }
  }
}
