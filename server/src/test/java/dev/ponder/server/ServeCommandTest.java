package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ponder serve`'s refusals: they happen before anything is served, and leave no extracted models behind. */
class ServeCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static long extracted() throws Exception {
    try (var list = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return list.filter(p -> p.getFileName().toString().startsWith("ponder-models-")).count();
    }
  }

  @Test
  void bindingBeyondLoopbackWithoutAKeyIsRefused() throws Exception {
    long before = extracted();
    assertThat(run("serve", "--host", "0.0.0.0", "--port", "0")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("beyond loopback) needs an API key");
    assertThat(extracted()).isEqualTo(before);
  }

  @Test
  void typosAndEmptyKeyFilesAreNamed(@TempDir Path dir) throws Exception {
    assertThat(run("serve", "--prot", "80")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("error: serve: Unknown option: '--prot'; did you mean '--port'?\n");
    Path empty = Files.writeString(dir.resolve("key"), "\n");
    assertThatThrownBy(() -> ServeCommand.apiKey(empty.toString(), null)).hasMessageContaining("is empty");
    assertThat(ServeCommand.apiKey(null, "from-env").accepts("Bearer from-env")).isTrue();
    assertThat(ServeCommand.apiKey(null, null).required()).isFalse();
  }

  @Test
  void aModelsFolderWithoutModelsIsRefused(@TempDir Path dir) throws Exception {
    long before = extracted();
    assertThat(run("serve", "--port", "0", "--models", dir.toString())).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("has no model directory");
    assertThat(extracted()).isEqualTo(before);
  }

  @Test
  void aMalformedRemoteModelOrAMissingKeyVariableIsAUsageError() throws Exception {
    long before = extracted();
    assertThat(run("serve", "--port", "0", "--remote-model", "qwen=10.0.0.5:8000")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("expected ID=URL#NAME", "found 'qwen=10.0.0.5:8000'");
    err.reset();
    assertThat(run("serve", "--port", "0", "--remote-model", "q=http://127.0.0.1:9#m", "--remote-api-key-env",
        "PONDER_TEST_SURELY_UNSET_VAR")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("PONDER_TEST_SURELY_UNSET_VAR, which is not set");
    assertThat(extracted()).isEqualTo(before);
  }
}
