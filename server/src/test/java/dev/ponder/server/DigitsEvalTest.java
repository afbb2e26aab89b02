package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.testing.Zoo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DigitsEvalTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"unsteered", "bon", "zo", "fk", "reno", "spsa"})
  void everyAlgorithmWritesTheRequiredLinesAndAGrid(String algorithm, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("d.jsonl");
    int code = run("eval", "--task", "digits", "--target-class", "7", "--count", "2", "--algorithm", algorithm,
        "--seed", "4", "--particles", "3", "--steps", "8", "--rounds", "2", "--neighbours", "2", "--iterations", "3",
        "--out", file.toString(), "--models", Zoo.model("digits").toString());
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode line = JSON.readTree(lines.get(i));
      assertThat(line.get("id").asText()).isEqualTo("digits-7-" + i);
      assertThat(line.get("target_class").asInt()).isEqualTo(7);
      assertThat(line.get("pixels")).hasSize(64);
      line.get("pixels").forEach(p -> assertThat(p.asDouble()).isBetween(0.0, 16.0));
      assertThat(line.get("reward").asDouble()).isLessThanOrEqualTo(0.0);
      assertThat(line.get("model_calls").asLong())
          .isEqualTo(line.get("policy_calls").asLong() + line.get("reward_calls").asLong()).isPositive();
      assertThat(line.has("wall_ms")).isTrue();
    }
    BufferedImage png = ImageIO.read(dir.resolve("d.png").toFile());
    assertThat(png.getWidth()).isEqualTo(2 * (8 * 4 + 2));
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("eval digits algorithm=" + algorithm + " target=7 count=2");
  }

  @Test
  void callsMatchEachAlgorithmsShape(@TempDir Path dir) throws Exception {
    // Feynman-Kac: one denoiser call and one reward call per step; best-of-N: one per step plus one final score.
    assertThat(calls(dir, "fk")).isEqualTo(new long[] {8, 8});
    assertThat(calls(dir, "bon")).isEqualTo(new long[] {8, 1});
    assertThat(calls(dir, "unsteered")).isEqualTo(new long[] {8, 0});
  }

  private long[] calls(Path dir, String algorithm) throws Exception {
    Path file = dir.resolve(algorithm + ".jsonl");
    assertThat(run("eval", "--task", "digits", "--target-class", "2", "--count", "1", "--algorithm", algorithm,
        "--particles", "4", "--steps", "8", "--out", file.toString(), "--models", Zoo.model("digits").toString()))
        .as(err.toString(StandardCharsets.UTF_8)).isZero();
    JsonNode line = JSON.readTree(Files.readAllLines(file).get(0));
    return new long[] {line.get("policy_calls").asLong(), line.get("reward_calls").asLong()};
  }

  @Test
  void badOptionsAreNamed(@TempDir Path dir) {
    String outFile = dir.resolve("x.jsonl").toString();
    assertThat(run("eval", "--task", "digits", "--target-class", "12", "--algorithm", "fk", "--out", outFile)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--target-class must be a digit 0..9, was 12");
    assertThat(run("eval", "--task", "digits", "--target-class", "1", "--algorithm", "magic", "--out", outFile)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--algorithm for digits must be one of");
    assertThat(run("eval", "--task", "digits", "--target-class", "1", "--algorithm", "fk", "--potential", "huge",
        "--out", outFile)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--potential must be one of [difference, max, sum, current]");
    assertThat(run("eval", "--task", "digits", "--target-class", "1", "--algorithm", "fk", "--resample-every", "0",
        "--out", outFile)).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("resampling interval must be >= 1 step, was 0");
  }
}
