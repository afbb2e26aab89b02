package dev.ponder.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  @Test
  void plainLinesWhenStderrIsNotATerminal() {
    try (Progress p = new Progress(err, 2, false)) {
      p.step(1, "a correct");
      p.step(2, "b wrong");
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("[1/2] a correct\n[2/2] b wrong\n");
  }

  @Test
  void oneRedrawnLineOnATerminalEndedByANewline() {
    try (Progress p = new Progress(err, 4, true)) {
      p.step(1, "x");
      p.step(4, "y");
    }
    String shown = bytes.toString(StandardCharsets.UTF_8);
    assertThat(shown).startsWith("\r[======>                 ] 1/4  x  ")
        .contains("\r[========================] 4/4  y  0s left\u001b[K")
        .endsWith("\n");
    assertThat(shown.chars().filter(c -> c == '\n').count()).isEqualTo(1);
  }

  @Test
  void anInterruptedRunStillEndsItsLine() {
    try (Progress p = new Progress(err, 10, true)) {
      p.step(3, "z");
    }
    assertThat(bytes.toString(StandardCharsets.UTF_8)).endsWith("\u001b[K\n");
  }

  @Test
  void durations() {
    assertThat(Progress.duration(59.4)).isEqualTo("59s");
    assertThat(Progress.duration(61)).isEqualTo("1m01s");
    assertThat(Progress.duration(7322)).isEqualTo("2h02m");
  }
}
