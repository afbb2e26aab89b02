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
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option(s) [--sampels]");
    assertThat(run("search", "--model", "x", "--prompt", "p", "--samples", "many")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--samples expects an integer, found 'many'");
    assertThat(run("search", "--model", "/nonexistent", "--prompt", "p")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("model directory not found");
    assertThat(run("frobnicate")).isEqualTo(2);
  }
}
