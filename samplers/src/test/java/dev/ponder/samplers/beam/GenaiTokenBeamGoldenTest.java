package dev.ponder.samplers.beam;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token beam search equals transformers' {@code generate(num_beams=4, ...)} on llama-tiny (issue 19: the
 * onnxruntime-genai layout), through the builder's GroupQueryAttention export and the optimum export of the same
 * weights: same hypotheses, token for token and in order, scores within 1e-4. llama-tiny/golden.json is made by
 * onnx-models/llama-tiny/build.py. The same on the trained Llama Countdown policy (countdown/policy-llama, whole
 * solutions up to 72 tokens; golden.json by countdown/export_llama_policy.py). A difference is skipped (and says
 * so) only at a near-tie below 1e-5, as in {@link TokenBeamGoldenTest}.
 */
class GenaiTokenBeamGoldenTest {
  private static final double NEAR_TIE = 1e-5;

  record Case(String golden, String model, String id, int[] prompt, List<int[]> ids, List<Boolean> ended,
              List<Double> scores) {
    @Override
    public String toString() {
      return model + " " + id;
    }
  }

  static Stream<Case> cases() {
    List<Case> out = new ArrayList<>();
    for (String dir : List.of("llama-tiny", "countdown/policy-llama")) {
      cases(dir, out);
    }
    return out.stream();
  }

  private static void cases(String dir, List<Case> out) {
    JsonNode golden;
    try {
      golden = new ObjectMapper().readTree(Zoo.model(dir + "/golden.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String model : List.of(dir + "/genai-fp32", dir + "/optimum")) {
      for (JsonNode r : golden.get("results")) {
        List<int[]> ids = new ArrayList<>();
        List<Boolean> ended = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        for (JsonNode h : r.get("beam")) {
          ids.add(ints(h.get("generated_ids")));
          ended.add(h.get("ended_with_eos").asBoolean());
          scores.add(h.get("sequence_score").asDouble());
        }
        out.add(new Case(dir + "/golden.json", model, r.get("id").asText(), ints(r.get("prompt_ids")), ids, ended,
            scores));
      }
    }
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reproducesTransformersBeamSearch(Case c) throws IOException {
    JsonNode golden = new ObjectMapper().readTree(Zoo.model(c.golden()).toFile());
    JsonNode beam = golden.get("beam");
    assertThat(beam.get("early_stopping").asBoolean()).isTrue();
    TokenBeam.Config config = new TokenBeam.Config(beam.get("num_beams").asInt(), beam.get("length_penalty").asDouble(),
        TokenBeamSearch.EarlyStopping.EARLY, beam.get("num_return_sequences").asInt(), Set.of(0));
    TokenBeam.Run run;
    try (LanguageModel lm = LanguageModel.load(Zoo.model(c.model()));
         LmProcess process = lm.process(c.prompt(), Decoding.greedy().withMaxNewTokens(golden.get("max_new_tokens").asInt()))) {
      run = TokenBeam.run(process, config, SearchContext.builder().build());
    }
    List<String> differences = new ArrayList<>();
    List<Candidate> got = run.result().candidates();
    if (got.size() != c.ids().size()) {
      differences.add("returned " + got.size() + " hypotheses, expected " + c.ids().size());
    }
    for (int i = 0; i < Math.min(got.size(), c.ids().size()); i++) {
      if (!Arrays.equals(run.tokens().get(i), c.ids().get(i))) {
        differences.add("#" + i + " tokens " + Arrays.toString(run.tokens().get(i)) + ", expected "
            + Arrays.toString(c.ids().get(i)));
      }
      if (!(Math.abs(got.get(i).score() - c.scores().get(i)) <= 1e-4)) {
        differences.add("#" + i + " score " + got.get(i).score() + ", expected " + c.scores().get(i));
      }
      if (got.get(i).finished() != c.ended().get(i)) {
        differences.add("#" + i + " finished " + got.get(i).finished() + ", expected " + c.ended().get(i));
      }
    }
    TokenBeam.Margin closest = run.closest();
    if (!differences.isEmpty() && closest.value() < NEAR_TIE) {
      Assumptions.abort(c + ": near-tie, skipped: margin " + closest.value() + "; differences: " + differences);
    }
    assertThat(differences).as("%s differs from transformers (closest margin %.3g)", c, closest.value()).isEmpty();
  }
}
