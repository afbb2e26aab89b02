package dev.ponder.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The soak's short version for CI: 120 mixed searches on two threads with random deadlines, interrupts and
 * cancellations. Every search left alone equals its solo run, every stopped one ends as it should, nothing throws
 * and no native value stays open. (Resident memory is judged only by the long run, {@link Soak#main}.)
 */
class SoakTest {

  @Test
  void mixedSearchesWithCancellationsMatchTheirSoloRunsAndLeakNothing() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Soak soak = new Soak()) {
      soak.run(120, 7, Double.POSITIVE_INFINITY, new PrintStream(out, true, StandardCharsets.UTF_8));
      String report = out.toString(StandardCharsets.UTF_8);
      assertThat(soak.mismatches).as(report).hasValue(0);
      assertThat(soak.failures).as(report).hasValue(0);
      assertThat(report).contains("native_open=0");
      assertThat(soak.plain.get()).isPositive();
      assertThat(soak.interrupts.get() + soak.cancels.get()).isPositive();
      assertThat(soak.deadlines.get()).isPositive();
    }
  }
}
