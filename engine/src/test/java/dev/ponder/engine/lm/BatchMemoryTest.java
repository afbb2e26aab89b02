package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.onnx.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model call that would need more direct memory than the model's batch memory limit fails before allocating,
 * naming rows, bytes, the limit and the ways to fit. tiny-gpt2: 2 layers, 4 KV heads of 8 floats, 30 logits, so
 * one row at 7 cached + 1 new positions needs (7 + 8) * 2 * 2 * 4 * 8 * 4 = 7,680 bytes of KV in and out plus
 * (1 + 1) * 30 * 4 = 240 bytes of logits: 7,920 bytes.
 */
class BatchMemoryTest {
  private static final long ROW = 7_920;

  @Test
  void theBytesOfACallAreKvInAndOutPlusLogits() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"))) {
      assertThat(BatchForward.callBytes(lm.config(), 1, 7, 1)).isEqualTo(ROW);
      assertThat(BatchForward.callBytes(lm.config(), 3000, 7, 1)).isEqualTo(3000 * ROW);
    }
  }

  @Test
  void aCallPastTheLimitFailsBeforeAllocatingAndACappedBatchFits() {
    ModelOptions options = ModelOptions.cpu().withBatchMemoryLimit(100 * ROW);
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"), options)) {
      SearchContext ctx = SearchContext.builder().build();
      Decoding twoTokens = Decoding.greedy().withMaxNewTokens(2); // one step = one call at 7 cached + 1 new
      try (LmProcess p = lm.process("answer:", twoTokens)) {
        List<LmHypothesis> hs = p.start(100, ctx);
        p.advance(hs, ctx);
        assertThat(ctx.counters().modelCalls()).isEqualTo(2);
      }
      long promptOnly = allocatedForPromptOnly(lm);
      lm.shelf().clear();
      try (LmProcess p = lm.process("answer:", twoTokens)) {
        List<LmHypothesis> hs = p.start(101, ctx);
        assertThatThrownBy(() -> p.advance(hs, ctx))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a model call for 101 rows at 8 positions (7 cached + 1 new) needs 799920 bytes (0.8 MiB) of"
                + " direct memory for KV cache and logits (7920 bytes (0.0 MiB) a row), more than this model's batch"
                + " memory limit of 792000 bytes (0.8 MiB). Fit it: search with fewer hypotheses, run at most 100 rows"
                + " per call (LmProcess.maxBatchRows; every row's KV cache still stays in memory between calls), raise"
                + " the JVM's -XX:MaxDirectMemorySize"
                + " (default: the heap size, -Xmx; the default limit is 3/4 of it), or set"
                + " ModelOptions.withBatchMemoryLimit(bytes)");
        assertThat(p.allocatedBytes()).as("only the prompt's call allocated").isEqualTo(promptOnly);
      }
      try (LmProcess p = lm.process("answer:", twoTokens).maxBatchRows(100)) {
        long calls = ctx.counters().modelCalls();
        List<LmHypothesis> hs = p.advance(p.start(101, ctx), ctx);
        assertThat(hs).allMatch(h -> h.generatedLength() == 1);
        assertThat(ctx.counters().modelCalls() - calls).as("prompt, then 100 rows and 1 row").isEqualTo(3);
      }
      assertThat(lm.session().ledger().stillOpen()).isZero();
    }
  }

  private static long allocatedForPromptOnly(LanguageModel lm) {
    lm.shelf().clear();
    try (LmProcess p = lm.process("answer:", Decoding.greedy())) {
      p.start(1, SearchContext.builder().build());
      return p.allocatedBytes();
    }
  }

  @Test
  void theDefaultLimitIsThreeQuartersOfTheJvmsDirectMemory() {
    boolean flagged = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .anyMatch(a -> a.startsWith("-XX:MaxDirectMemorySize"));
    if (!flagged) {
      assertThat(ModelOptions.defaultBatchMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4 * 3);
    }
    assertThat(ModelOptions.cpu().batchMemoryLimit()).isEqualTo(ModelOptions.defaultBatchMemoryBytes());
    assertThat(ModelOptions.cpu().withBatchMemoryLimit(5).batchMemoryLimit()).isEqualTo(5);
    assertThatThrownBy(() -> ModelOptions.cpu().withBatchMemoryLimit(-1))
        .hasMessageStartingWith("batchMemoryBytes must be >= 0 (0 = default");
  }
}
