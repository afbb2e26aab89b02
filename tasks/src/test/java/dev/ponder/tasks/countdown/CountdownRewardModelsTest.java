package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.ProcessScorer.Aggregation;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward.Overflow;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trained Countdown reward models of the zoo (onnx-models/countdown/orm, prm, prm-cached), when they have been
 * built: each test is skipped until its export exists.
 */
class CountdownRewardModelsTest {

  private static Path zoo(String relative) {
    Path p = Zoo.root().resolve("onnx-models").resolve(relative);
    assumeTrue(Files.isRegularFile(p.resolve("model.onnx")), "not built yet: " + p);
    return p;
  }

  /** Every checker vector as an input: the prompt of its problem and its text. */
  static List<VerifierInput> vectors() throws IOException {
    List<VerifierInput> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(Zoo.model("countdown/checker_vectors.jsonl"), StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode v = json.readTree(line);
      List<Integer> numbers = new ArrayList<>();
      v.get("numbers").forEach(n -> numbers.add(n.asInt()));
      out.add(VerifierInput.of(new CountdownProblem(numbers, v.get("target").asInt()).prompt(), v.get("text").asText()));
    }
    return out;
  }

  @Test
  void ormScoresAreProbabilitiesIndependentOfBatchAndPadding() throws IOException {
    Path dir = zoo("countdown/orm");
    List<VerifierInput> inputs = vectors().stream().filter(in -> in.full().length() <= 128).toList();
    try (OnnxOutcomeReward right = OnnxOutcomeReward.load(dir);
         OnnxOutcomeReward left = OnnxOutcomeReward.builder(dir).padLeft().build()) {
      SearchContext ctx = SearchContext.builder().build();
      double[] batched = right.score(inputs, ctx);
      double[] leftPadded = left.score(inputs, ctx);
      for (int i = 0; i < inputs.size(); i++) {
        assertThat(batched[i]).isBetween(0.0, 1.0);
        assertThat(leftPadded[i]).isCloseTo(batched[i], within(1e-4));
        assertThat(right.score(List.of(inputs.get(i)), ctx)[0]).isCloseTo(batched[i], within(1e-4));
      }
      assertThat(right.labels()).isEqualTo(1);
    }
  }

  @Test
  void prmCachedAndPlainAgreeAndTheCachedOneReadsDistinctTokensOnly() throws IOException {
    Path plainDir = zoo("countdown/prm");
    Path cachedDir = zoo("countdown/prm-cached");
    List<VerifierInput> rounds = new ArrayList<>();
    // every step prefix of every vector, in order of growing length: how a step search meets them
    for (VerifierInput in : vectors()) {
      String t = in.text();
      for (int at = t.indexOf('\n'); at >= 0; at = t.indexOf('\n', at + 1)) {
        rounds.add(VerifierInput.of(in.prompt(), t.substring(0, at + 1)));
      }
      rounds.add(in);
    }
    // within the positions, and only the tokenizer's alphabet (it drops other characters), so characters are tokens
    String alphabet = "\n *+-/0123456789:=abegmnrstuw";
    rounds = rounds.stream().filter(in -> in.full().length() <= 128)
        .filter(in -> in.full().chars().allMatch(ch -> alphabet.indexOf(ch) >= 0)).toList();
    try (OnnxProcessReward plain = OnnxProcessReward.builder(plainDir).aggregation(Aggregation.MIN)
        .build();
         OnnxProcessReward cached = OnnxProcessReward.builder(cachedDir)
             .aggregation(Aggregation.MIN).build()) {
      assertThat(cached.isIncremental()).isTrue();
      SearchContext p = SearchContext.builder().build();
      SearchContext c = SearchContext.builder().build();
      for (int from = 0; from < rounds.size(); from += 8) {
        List<VerifierInput> list = rounds.subList(from, Math.min(rounds.size(), from + 8));
        double[] a = plain.score(list, p);
        double[] b = cached.score(list, c);
        for (int i = 0; i < a.length; i++) {
          assertThat(b[i]).as(list.get(i).describe()).isCloseTo(a[i], within(1e-4));
          assertThat(a[i]).isBetween(0.0, 1.0);
        }
      }
      // the zoo's tokenizer is character-level: the step tree's distinct tokens are its distinct characters per step
      java.util.Map<String, Integer> tree = new java.util.HashMap<>();
      long sum = 0;
      for (VerifierInput in : rounds) {
        int last = in.text().lastIndexOf('\n');
        String scored = in.prompt() + (last < 0 ? "" : in.text().substring(0, last + 1));
        sum += scored.length();
        for (int from = 0, end = in.prompt().length(); ; from = end, end = scored.indexOf('\n', end) + 1) {
          tree.put(scored.substring(0, end), end - from);
          if (end == scored.length()) {
            break;
          }
        }
      }
      assertThat(p.counters().verifierTokens()).isEqualTo(sum);
      assertThat(c.counters().verifierTokens()).isEqualTo(tree.values().stream().mapToLong(Integer::longValue).sum());
    }
  }

  @Test
  void ormCachedScoresEqualThePlainOnesWithEachSharedPromptComputedOnce() throws IOException {
    String alphabet = "\n *+-/0123456789:=abegmnrstuw"; // characters are tokens (see above)
    List<VerifierInput> vs = vectors().stream().filter(in -> in.full().length() <= 100)
        .filter(in -> in.full().chars().allMatch(ch -> alphabet.indexOf(ch) >= 0)).toList();
    String shared = vs.get(0).prompt();
    List<VerifierInput> inputs = new ArrayList<>();
    for (int i = 0; i < 12; i++) { // best-of-N's shape: one prompt, many texts
      inputs.add(VerifierInput.of(shared, vs.get(i).text()));
    }
    inputs.addAll(vs.subList(12, 16)); // other prompts
    inputs.add(VerifierInput.of(shared, "")); // no text: scored whole
    try (OnnxOutcomeReward plain = OnnxOutcomeReward.load(zoo("countdown/orm"));
         OnnxOutcomeReward cached = OnnxOutcomeReward.load(zoo("countdown/orm-cached"))) {
      assertThat(cached.cachesPrompts()).isTrue();
      assertThat(plain.cachesPrompts()).isFalse();
      SearchContext p = SearchContext.builder().build();
      SearchContext c = SearchContext.builder().build();
      double[] a = plain.score(inputs, p);
      double[] b = cached.score(inputs, c);
      for (int i = 0; i < a.length; i++) {
        assertThat(b[i]).as(inputs.get(i).describe()).isCloseTo(a[i], within(1e-5));
      }
      long plainTokens = inputs.stream().mapToLong(in -> in.full().length()).sum();
      java.util.Set<String> prompts = new java.util.HashSet<>();
      long cachedTokens = 0;
      for (VerifierInput in : inputs) {
        cachedTokens += in.text().isEmpty() ? in.prompt().length() : in.text().length();
        if (!in.text().isEmpty() && prompts.add(in.prompt())) {
          cachedTokens += in.prompt().length();
        }
      }
      assertThat(p.counters().verifierCalls()).isEqualTo(1);
      assertThat(p.counters().verifierTokens()).isEqualTo(plainTokens);
      assertThat(c.counters().verifierCalls()).isEqualTo(2);
      assertThat(c.counters().verifierTokens()).isEqualTo(cachedTokens).isLessThan(plainTokens);
    }
  }

  @Test
  void ormCachedTreatsAnInputPastTheMaximumLengthAsThePlainExportDoes() throws IOException {
    VerifierInput longOne = VerifierInput.of(vectors().get(0).prompt(), "1+2=3\n".repeat(30));
    VerifierInput shortOne = vectors().get(0);
    try (OnnxOutcomeReward plain = OnnxOutcomeReward.load(zoo("countdown/orm"));
         OnnxOutcomeReward cached = OnnxOutcomeReward.load(zoo("countdown/orm-cached"));
         OnnxOutcomeReward plainLast = OnnxOutcomeReward.builder(zoo("countdown/orm")).overflow(Overflow.KEEP_LAST).build();
         OnnxOutcomeReward cachedLast = OnnxOutcomeReward.builder(zoo("countdown/orm-cached"))
             .overflow(Overflow.KEEP_LAST).build()) {
      SearchContext ctx = SearchContext.builder().build();
      String expected = catchMessage(() -> plain.score(List.of(shortOne, longOne), ctx));
      assertThat(expected).contains("more than the maximum length 128");
      assertThat(catchMessage(() -> cached.score(List.of(shortOne, longOne), ctx))).isEqualTo(expected);
      double[] a = plainLast.score(List.of(shortOne, longOne), ctx);
      double[] b = cachedLast.score(List.of(shortOne, longOne), ctx);
      assertThat(b[0]).isCloseTo(a[0], within(1e-5));
      assertThat(b[1]).isCloseTo(a[1], within(1e-5));
    }
    assertThat(catchMessage(() -> OnnxOutcomeReward.builder(zoo("countdown/orm-cached")).padLeft().build()))
        .startsWith("padLeft() applies to plain outcome reward exports; ").endsWith("has a KV cache, whose calls lay"
            + " out their own padding");
  }

  private static String catchMessage(Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    throw new AssertionError("expected an IllegalArgumentException");
  }
}
