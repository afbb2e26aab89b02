package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.testing.Zoo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void searchPrintsEachSampleWithItsLogProbabilityAndTheCounters() {
    int code = run("search", "--model", Zoo.model("tiny-gpt2").toString(), "--prompt", "12 + ", "--samples", "3",
        "--seed", "5", "--max-new-tokens", "8");
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(text).contains("--- sample 1  logprob ", "--- sample 3  logprob ", "prompt_tokens=5", "model_calls=");
    assertThat(text).doesNotContain("--- sample 4");
  }

  @Test
  void typosAndBadValuesAreNamed() {
    assertThat(run("search", "--model", "x", "--prompt", "p", "--sampels", "3")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("error: search: Unknown option: '--sampels'; did you mean '--samples'?\n");
    assertThat(errorAfter("search", "--model", "x", "--prompt", "p", "--samples", "many")).isEqualTo(
        "error: search: Invalid value for option '--samples': 'many' is not an int\n");
    assertThat(run("search", "--model", "/nonexistent", "--prompt", "p")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("model directory not found");
    assertThat(errorAfter("frobnicate")).isEqualTo("error: ponder: Unknown command: 'frobnicate'\n");
    assertThat(errorAfter("serach")).isEqualTo("error: ponder: Unknown command: 'serach'; did you mean 'search'?\n");
  }

  @Test
  void evalWritesOneCheckedLinePerProblem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path problems = dir.resolve("p.jsonl");
    java.nio.file.Files.writeString(problems, "{\"id\": \"a\", \"numbers\": [3, 7, 25, 50], \"target\": 85}\n"
        + "{\"id\": \"b\", \"numbers\": [2, 4, 6, 8], \"target\": 48}\n");
    java.nio.file.Path out = dir.resolve("out.jsonl");
    String repo = Zoo.root().toString();
    int code = run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n", "4",
        "--seed", "3", "--out", out.toString(), "--policy", repo + "/onnx-models/countdown/policy",
        "--orm", repo + "/onnx-models/countdown/orm");
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    List<String> lines = java.nio.file.Files.readAllLines(out);
    assertThat(lines).hasSize(2);
    com.fasterxml.jackson.databind.JsonNode first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(0));
    assertThat(first.get("id").asText()).isEqualTo("a");
    assertThat(first.has("text") && first.has("correct") && first.has("score")).isTrue();
    assertThat(first.get("verifier_calls").asInt()).isEqualTo(1);
    assertThat(first.get("policy_tokens").asLong()).isPositive();
    // 'correct' is the rule checker's verdict on exactly the text written.
    boolean verdict = dev.ponder.tasks.countdown.CountdownChecker.create()
        .check("numbers: 3 7 25 50 target: 85\n" + first.get("text").asText()).correct();
    assertThat(first.get("correct").asBoolean()).isEqualTo(verdict);
    assertThat(this.out.toString(StandardCharsets.UTF_8)).contains("eval countdown algorithm=bon n=4 seed=3 problems=2 accuracy=");
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "magic",
        "--out", out.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--algorithm must be one of");
    // The progress goes to stderr, one plain line per problem when stderr is not a terminal.
    assertThat(err.toString(StandardCharsets.UTF_8)).containsPattern("\\[1/2\\] a (correct|wrong)  accuracy so far");
  }

  @Test
  void bestOfNWithTheRuleCheckerPicksACheckedSolutionWhenOneExists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path problems = dir.resolve("p.jsonl");
    java.nio.file.Files.writeString(problems, "{\"id\": \"a\", \"numbers\": [3, 7, 25, 50], \"target\": 85}\n");
    java.nio.file.Path out = dir.resolve("out.jsonl");
    String repo = Zoo.root().toString();
    int code = run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon", "--n", "16",
        "--verifier", "checker", "--seed", "2", "--out", out.toString(), "--policy", repo + "/onnx-models/countdown/policy");
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    com.fasterxml.jackson.databind.JsonNode line = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(java.nio.file.Files.readAllLines(out).get(0));
    // The checker's score is its verdict: 1 exactly when the chosen text is correct.
    assertThat(line.get("score").asDouble()).isEqualTo(line.get("correct").asBoolean() ? 1.0 : 0.0);
    assertThat(run("eval", "--task", "countdown", "--problems", problems.toString(), "--algorithm", "bon",
        "--verifier", "oracle", "--out", out.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--verifier must be 'orm'");
  }

  /** Runs with fresh streams; what was printed on stderr. */
  private String errorAfter(String... args) {
    err.reset();
    run(args);
    return err.toString(StandardCharsets.UTF_8);
  }
}
