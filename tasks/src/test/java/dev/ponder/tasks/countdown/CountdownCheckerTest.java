package dev.ponder.tasks.countdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.tasks.countdown.CountdownVerdict.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CountdownCheckerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final CountdownChecker checker = CountdownChecker.create();

  @Test
  void everySharedVectorGetsThePythonVerdictAndReason() throws IOException {
    List<String> lines = Files.readAllLines(Zoo.model("countdown/checker_vectors.jsonl"), StandardCharsets.UTF_8);
    Set<Reason> covered = EnumSet.noneOf(Reason.class);
    int checked = assertAll(lines, covered);
    assertThat(checked).isEqualTo(66);
    assertThat(covered).as("the shared vectors cover every reason code").isEqualTo(EnumSet.allOf(Reason.class));
  }

  @Test
  void everyFuzzedCaseGetsThePythonVerdictAndReason() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/countdown/checker_fuzz.jsonl")) {
      List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      Set<Reason> covered = EnumSet.noneOf(Reason.class);
      assertThat(assertAll(lines, covered)).isEqualTo(3000);
      assertThat(covered).isEqualTo(EnumSet.allOf(Reason.class));
    }
  }

  private int assertAll(List<String> lines, Set<Reason> covered) throws IOException {
    List<String> failures = new ArrayList<>();
    int n = 0;
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode v = JSON.readTree(line);
      List<Integer> numbers = new ArrayList<>();
      v.get("numbers").forEach(x -> numbers.add(x.asInt()));
      CountdownVerdict got = checker.check(new CountdownProblem(numbers, v.get("target").asInt()), v.get("text").asText());
      Reason want = Reason.ofCode(v.get("reason").asText());
      if (got.reason() != want || got.correct() != v.get("correct").asBoolean()) {
        failures.add("line " + (n + 1) + ": " + line + " -> got " + got);
      }
      covered.add(want);
      n++;
    }
    assertThat(failures).isEmpty();
    return n;
  }

  @Test
  void parsesAProblemFromItsPrompt() {
    CountdownProblem p = CountdownProblem.parse("numbers: 3 7 25 50 target: 85\n");
    assertThat(p.numbers()).containsExactly(3, 7, 25, 50);
    assertThat(p.target()).isEqualTo(85);
    assertThat(new CountdownProblem(List.of(50, 3, 25, 7), 85).prompt()).isEqualTo("numbers: 3 7 25 50 target: 85\n");
    assertThat(CountdownProblem.parse("numbers: 9 target: 10").numbers()).containsExactly(9);
  }

  @Test
  void rejectsMalformedPromptsNamingTextAndFormat() {
    for (String bad : List.of("", "numbers: target: 5", "numbers: 3  7 target: 5", "numbers: 3 7 target: 0",
        "numbers: 3 x target: 5", "nums: 3 target: 5", "numbers: 3 7 target: 5\n\n", "numbers: 3 7")) {
      assertThatThrownBy(() -> CountdownProblem.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a Countdown prompt")
          .hasMessageContaining("expected one line like \"numbers: 3 7 25 50 target: 85\"");
    }
    assertThatThrownBy(() -> new CountdownProblem(List.of(3, -1), 5)).hasMessageContaining("positive integers, was -1");
  }

  @Test
  void checksPromptAndSolutionTogether() {
    String prompt = "numbers: 3 7 25 50 target: 85\n";
    assertThat(checker.check(prompt + "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85"))
        .isEqualTo(new CountdownVerdict(true, Reason.OK));
    assertThat(checker.check(prompt + "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85\n").reason())
        .isEqualTo(Reason.EXTRA_TEXT_AFTER_ANSWER);
    assertThat(checker.check(prompt).reason()).isEqualTo(Reason.EMPTY);
    assertThat(checker.check("numbers: 3 7 25 50 target: 85").reason()).isEqualTo(Reason.EMPTY);
  }

  @Test
  void largeNumbersDoNotOverflow() {
    CountdownProblem p = new CountdownProblem(List.of(999_999_999, 999_999_998), 100);
    assertThat(checker.check(p, "999999999 * 999999998 = 1\nanswer: 1").reason()).isEqualTo(Reason.WRONG_ARITHMETIC);
    assertThat(checker.check(p, "999999999 - 999999998 = 1\nanswer: 100").reason())
        .isEqualTo(Reason.ANSWER_NOT_LAST_RESULT);
    assertThat(checker.check(p, "999999999 - 999999998 = 1\nanswer: 1").reason()).isEqualTo(Reason.ANSWER_NOT_TARGET);
  }

  @Test
  void scoresOneOrZeroAndCountsOneCallPerList() {
    SearchContext ctx = SearchContext.builder().build();
    String prompt = "numbers: 3 7 25 50 target: 85\n";
    double[] s = checker.score(List.of(VerifierInput.of(prompt, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85"),
        VerifierInput.of(prompt, "50 + 25 = 75\nanswer: 75"), VerifierInput.of(prompt, "")), ctx);
    assertThat(s).containsExactly(1.0, 0.0, 0.0);
    assertThat(ctx.counters().verifierCalls()).isEqualTo(1);
    assertThat(ctx.counters().verifierTokens()).isZero();
  }

  @Test
  void verdictInvariant() {
    assertThatThrownBy(() -> new CountdownVerdict(true, Reason.EMPTY)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Reason.ofCode("nope")).hasMessageContaining("unknown Countdown reason code 'nope'");
  }

  @Test
  void lastStepResultIsTheSpanOfTheLastStepLinesResult() {
    String text = "20 - 6 = 14\n18 + 14 = 32\nanswer: 32";
    int[] span = CountdownChecker.lastStepResult(text);
    assertThat(text.substring(span[0], span[1])).isEqualTo("32");
    assertThat(span[0]).isEqualTo(text.indexOf("= 32") + 2);
    assertThat(CountdownChecker.lastStepResult("7 - 9 = -2\nanswer: -2")).containsExactly(8, 10);
    assertThat(CountdownChecker.lastStepResult("answer: 32")).isNull();
    assertThat(CountdownChecker.lastStepResult("05 + 3 = 8\n")).as("not a step by the checker's grammar").isNull();
  }
}
