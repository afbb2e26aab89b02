package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelSource;
import dev.ponder.engine.testing.Zoo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * onnxruntime-genai's layout (issue 19): onnx-models/llama-tiny holds one random-weight Llama exported by the
 * onnxruntime-genai model builder (GroupQueryAttention, genai_config.json, no config.json) and in optimum's
 * concat layout. Greedy decoding equals transformers' generate (llama-tiny/golden.json) on both, alone and batched
 * with prompts of different lengths, and the two exports agree on every row's logits through prefill, forks,
 * prunes and multi-token feeds (which GroupQueryAttention takes only as a compact, right-padded layout).
 */
class GenaiLayoutTest {
  private static final double TOLERANCE = 1e-4;

  static JsonNode golden() throws IOException {
    return new ObjectMapper().readTree(Zoo.model("llama-tiny/golden.json").toFile());
  }

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"llama-tiny/genai-fp32", "llama-tiny/optimum"})
  void greedyEqualsTransformersOnePromptAtATime(String dir) throws IOException {
    JsonNode golden = golden();
    try (LanguageModel lm = LanguageModel.load(Zoo.model(dir))) {
      assertThat(lm.maskSumAttention()).isEqualTo(dir.contains("genai"));
      for (JsonNode r : golden.get("results")) {
        int[] got = greedy(lm, ints(r.get("prompt_ids")), golden.get("max_new_tokens").asInt());
        assertThat(got).as("%s %s", dir, r.get("id").asText()).containsExactly(ints(r.get("greedy_ids")));
      }
    }
  }

  @ParameterizedTest(name = "{0}, at most {1} rows a call")
  @CsvSource({"llama-tiny/genai-fp32, 64", "llama-tiny/optimum, 64", "llama-tiny/genai-fp32, 4"})
  void greedyEqualsTransformersBatchedAcrossPromptLengths(String dir, int maxRows) throws IOException {
    JsonNode golden = golden();
    List<int[]> prompts = new ArrayList<>();
    for (JsonNode r : golden.get("results")) {
      prompts.add(ints(r.get("prompt_ids")));
    }
    assertThat(prompts.stream().mapToInt(p -> p.length).distinct().count()).as("prompt lengths differ").isGreaterThan(1);
    int max = golden.get("max_new_tokens").asInt();
    try (LanguageModel lm = LanguageModel.load(Zoo.model(dir));
         LmProcess process = lm.process(prompts.get(0), Decoding.greedy().withMaxNewTokens(max))) {
      process.maxBatchRows(maxRows); // 4: six rows in two calls a step, each a slice of the previous block
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.startEach(prompts, ctx);
      List<LmHypothesis> all = List.copyOf(rows);
      while (!rows.isEmpty()) {
        rows = process.advance(rows, ctx).stream().filter(h -> !h.isTerminal()).toList();
      }
      for (int i = 0; i < all.size(); i++) {
        JsonNode r = golden.get("results").get(i);
        assertThat(all.get(i).generatedTokens()).as("%s %s", dir, r.get("id").asText())
            .containsExactly(ints(r.get("greedy_ids")));
      }
    }
  }

  /**
   * The same operations on both exports: a batched prefill of two prompts, forks, a step, a prune (a row leaves),
   * two steps, then a feed of 3 and 1 tokens to rows of different lengths (split into one-token calls for
   * GroupQueryAttention) and a step (each step a chosen token, so that no row ends); after each, every row's next-token logits agree.
   */
  @Test
  void genaiAndOptimumExportsAgreeThroughForksPrunesAndMultiTokenFeeds() throws IOException {
    JsonNode golden = golden();
    int[] a = ints(golden.get("results").get(0).get("prompt_ids"));
    int[] b = ints(golden.get("results").get(1).get("prompt_ids"));
    try (LanguageModel genai = LanguageModel.load(Zoo.model("llama-tiny/genai-fp32"));
         LanguageModel optimum = LanguageModel.load(Zoo.model("llama-tiny/optimum"));
         Script g = new Script(genai, a, b);
         Script o = new Script(optimum, a, b)) {
      for (int step = 0; step < 7; step++) {
        g.step(step);
        o.step(step);
        assertThat(g.rows).hasSameSizeAs(o.rows);
        for (int i = 0; i < g.rows.size(); i++) {
          assertThat(g.rows.get(i).allTokens()).as("tokens, step %d row %d", step, i)
              .containsExactly(o.rows.get(i).allTokens());
          float[] x = g.process.nextLogits(g.rows.get(i));
          float[] y = o.process.nextLogits(o.rows.get(i));
          for (int t = 0; t < x.length; t++) {
            assertThat((double) x[t]).as("logit %d, step %d row %d", t, step, i)
                .isCloseTo(y[t], org.assertj.core.data.Offset.offset(TOLERANCE));
          }
        }
      }
      LmProcess.Diagnostics d = g.process.diagnostics();
      assertThat(d.reusedCalls()).as("calls that wrote the KV in place").isGreaterThan(0);
      assertThat(d.movedRows()).as("rows closed up after the prune").isGreaterThan(0);
    }
  }

  /** One model's run of the scripted operations. */
  private static final class Script implements AutoCloseable {
    final LmProcess process;
    final SearchContext ctx = SearchContext.builder().build();
    final int[] a;
    final int[] b;
    List<LmHypothesis> rows;

    Script(LanguageModel lm, int[] a, int[] b) {
      this.a = a;
      this.b = b;
      this.process = lm.process(a, Decoding.greedy().withMaxNewTokens(40));
    }

    void step(int step) {
      switch (step) {
        case 0 -> rows = process.startEach(List.of(a, b), ctx);
        case 1 -> { // fork each row: four rows, two pairs sharing a KV row, then one token for each
          List<LmHypothesis> next = new ArrayList<>();
          for (LmHypothesis h : rows) {
            next.add(h);
            next.add(process.fork(h, ctx));
          }
          rows = process.extend(next, new int[] {7, 8, 9, 10}, ctx);
        }
        case 2 -> { // rows 0 and 2 leave; the rest continue
          process.release(rows.get(0));
          process.release(rows.get(2));
          rows = process.extend(new ArrayList<>(List.of(rows.get(1), rows.get(3))), new int[] {11, 12}, ctx);
        }
        case 3, 4 -> rows = process.extend(rows, new int[] {step + 10, step + 12}, ctx);
        case 5 -> { // tokens the cache does not hold yet: 1 + 2 to row 0, 1 + 0 to row 1
          rows.get(0).append(12);
          rows.get(0).append(13);
          rows = process.extend(rows, new int[] {14, 15}, ctx);
        }
        default -> rows = process.extend(rows, new int[] {16, 17}, ctx);
      }
    }

    @Override
    public void close() {
      process.close();
    }
  }

  /**
   * The int4 export loads and decodes; printed: how often its greedy generation equals the fp32 golden one, and how
   * often its most likely next token is the golden one along the golden path (teacher-forced), a per-token
   * agreement that one early difference does not hide. Random weights: these say nothing of int4 on a trained model.
   */
  @Test
  void int4ExportLoadsAndDecodes() throws IOException {
    JsonNode golden = golden();
    int max = golden.get("max_new_tokens").asInt();
    int same = 0;
    int n = 0;
    int agree = 0;
    int steps = 0;
    try (LanguageModel int4 = LanguageModel.load(Zoo.model("llama-tiny/genai-int4"))) {
      for (JsonNode r : golden.get("results")) {
        int[] prompt = ints(r.get("prompt_ids"));
        int[] want = ints(r.get("greedy_ids"));
        int[] got = greedy(int4, prompt, max);
        assertThat(got.length).isBetween(1, max);
        assertThat(Arrays.stream(got).allMatch(t -> t >= 0 && t < 30)).as("token ids in the vocabulary").isTrue();
        n++;
        same += Arrays.equals(got, want) ? 1 : 0;
        try (LmProcess process = int4.process(prompt, Decoding.greedy().withMaxNewTokens(max))) {
          SearchContext ctx = SearchContext.builder().build();
          LmHypothesis h = process.start(1, ctx).get(0);
          for (int t : want) {
            float[] logits = process.nextLogits(h);
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
              best = logits[v] > logits[best] ? v : best;
            }
            agree += best == t ? 1 : 0;
            steps++;
            if (t == 0) {
              break;
            }
            h = process.extend(List.of(h), new int[] {t}, ctx).get(0);
          }
        }
      }
    }
    System.out.printf("llama-tiny genai-int4: greedy equals the fp32 golden on %d of %d prompts; next-token argmax "
        + "equals it on %d of %d golden steps (teacher-forced)%n", same, n, agree, steps);
    assertThat(n).isEqualTo(golden.get("results").size());
    assertThat(steps).isEqualTo(StreamSupport.stream(golden.get("results").spliterator(), false)
        .mapToInt(r -> r.get("greedy_ids").size()).sum());
  }

  @Test
  void renamedTensorsInGenaiConfigAreRefusedNamingExpectedAndFound() throws IOException {
    Path dir = Zoo.model("llama-tiny/genai-fp32");
    String config = Files.readString(dir.resolve("genai_config.json"))
        .replace("\"past_key_values.%d.key\"", "\"past.%d.key\"");
    ModelSource source = ModelSource.of("renamed", name -> name.equals("genai_config.json")
        ? new ByteArrayInputStream(config.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        : Files.exists(dir.resolve(name)) ? Files.newInputStream(dir.resolve(name)) : null);
    assertThatThrownBy(() -> LanguageModel.load(source, dev.ponder.engine.model.ModelOptions.cpu()))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("past_key_names is 'past.%d.key'")
        .hasMessageContaining("'past_key_values.%d.key'");
  }

  /**
   * The builder's graph with a config.json beside it instead of its genai_config.json (as one copied by hand):
   * still recognized as GroupQueryAttention (rotary inside, no position_ids), so batched rows of different lengths
   * still decode as transformers does.
   */
  @Test
  void builderGraphWithAConfigJsonInsteadOfGenaiConfigStillGetsTheCompactLayout() throws IOException {
    Path genai = Zoo.model("llama-tiny/genai-fp32");
    Path optimum = Zoo.model("llama-tiny/optimum");
    ModelSource source = ModelSource.of("genai graph + config.json", name -> switch (name) {
      case "genai_config.json" -> null;
      case "config.json", "generation_config.json" -> Files.newInputStream(optimum.resolve(name));
      default -> Files.exists(genai.resolve(name)) ? Files.newInputStream(genai.resolve(name)) : null;
    });
    JsonNode golden = golden();
    List<int[]> prompts = new ArrayList<>();
    for (JsonNode r : golden.get("results")) {
      prompts.add(ints(r.get("prompt_ids")));
    }
    try (LanguageModel lm = LanguageModel.load(source, dev.ponder.engine.model.ModelOptions.cpu());
         LmProcess process = lm.process(prompts.get(0), Decoding.greedy().withMaxNewTokens(8))) {
      assertThat(lm.maskSumAttention()).isTrue();
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.startEach(prompts, ctx);
      List<LmHypothesis> all = List.copyOf(rows);
      while (!rows.isEmpty()) {
        rows = process.advance(rows, ctx).stream().filter(h -> !h.isTerminal()).toList();
      }
      for (int i = 0; i < all.size(); i++) { // the golden continuation's first 8 tokens, or all of it up to its EOS
        int[] want = ints(golden.get("results").get(i).get("greedy_ids"));
        assertThat(all.get(i).generatedTokens()).as("row %d", i)
            .containsExactly(Arrays.copyOf(want, Math.min(8, want.length)));
      }
    }
  }

  /** genai_config.json's context_length bounds a row: it is cut at 128 positions, and no call goes past them. */
  @Test
  void aRowIsCutAtTheContextLength() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("llama-tiny/genai-fp32"));
         LmProcess process = lm.process(new int[126], Decoding.greedy().withMaxNewTokens(8))) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.start(1, ctx);
      rows = process.extend(rows, new int[] {5}, ctx); // fed at position 126
      assertThat(rows.get(0).isTerminal()).isFalse();
      rows = process.extend(rows, new int[] {5}, ctx); // the 128th token: nothing more fits
      assertThat(rows.get(0).isCut()).isTrue();
      assertThat(rows.get(0).allTokens()).hasSize(128);
    }
  }

  static int[] greedy(LanguageModel lm, int[] prompt, int maxNew) {
    try (LmProcess process = lm.process(prompt, Decoding.greedy().withMaxNewTokens(maxNew))) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> live = process.start(1, ctx);
      LmHypothesis h = live.get(0);
      while (!h.isTerminal()) {
        h = process.advance(List.of(h), ctx).get(0);
      }
      return h.generatedTokens();
    }
  }
}
