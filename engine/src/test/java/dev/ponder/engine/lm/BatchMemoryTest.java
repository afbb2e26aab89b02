package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A model call that would take the process past the model's batch memory limit fails before allocating, naming
 * rows, bytes, the limit and the ways to fit. tiny-gpt2: 2 layers, 4 KV heads of 8 floats, 30 logits, so a row
 * holds 2 * 2 * 4 * 8 * 4 = 512 bytes of KV per position plus 120 bytes of next-token logits. After start(), the
 * process holds the prompt's block ("answer:", 7 positions, 1 row): 7 * 512 + 120 = 3,704 bytes; the first step's
 * call gathers each row's 7 cached positions into a fresh buffer and writes 8: (7 + 8) * 512 + (1 + 1) * 120 =
 * 7,920 bytes a row.
 */
class BatchMemoryTest {
  private static final long ROW = 7_920;
  private static final long PROMPT_BLOCK = 3_704;

  @Test
  void theBytesOfACallAreKvInAndOutPlusLogits() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"))) {
      assertThat(BatchForward.blockBytes(lm.config(), 1, 7)).isEqualTo(PROMPT_BLOCK);
      assertThat(BatchForward.callBytes(lm.config(), 1, 7, 1, true)).isEqualTo(ROW);
      assertThat(BatchForward.callBytes(lm.config(), 3000, 7, 1, true)).isEqualTo(3000 * ROW);
      assertThat(BatchForward.callBytes(lm.config(), 1, 7, 1, false)).as("reusing the block's buffers").isEqualTo(ROW - 7 * 512);
    }
  }

  @Test
  void aCallPastTheLimitFailsBeforeAllocatingAndACappedBatchFits() {
    ModelOptions options = ModelOptions.cpu().withBatchMemoryLimit(PROMPT_BLOCK + 100 * ROW);
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"), options)) {
      SearchContext ctx = SearchContext.builder().build();
      Decoding greedy = Decoding.greedy();
      try (LmProcess p = lm.process("answer:", greedy)) {
        List<LmHypothesis> hs = p.start(100, ctx);
        p.advance(hs, ctx);
        assertThat(ctx.counters().modelCalls()).isEqualTo(2);
      }
      long promptOnly = allocatedForPromptOnly(lm);
      lm.shelf().clear();
      try (LmProcess p = lm.process("answer:", greedy)) {
        List<LmHypothesis> hs = p.start(101, ctx);
        assertThatThrownBy(() -> p.advance(hs, ctx))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("a model call for 101 rows at 8 positions (7 cached + 1 new) needs 803624 bytes (0.8 MiB) of"
                + " direct memory: 799920 bytes (0.8 MiB) for its KV cache and logits (7920 bytes (0.0 MiB) a row) and"
                + " 3704 bytes (0.0 MiB) this process holds for its hypotheses; more than this model's batch memory"
                + " limit of 795704 bytes (0.8 MiB). Fit it: search with fewer hypotheses or fewer tokens, raise the"
                + " JVM's -XX:MaxDirectMemorySize (default: the heap size, -Xmx; the default limit is 3/4 of it), or"
                + " set ModelOptions.withBatchMemoryLimit(bytes)");
        assertThat(p.allocatedBytes()).as("only the prompt's call allocated").isEqualTo(promptOnly);
      }
      try (LmProcess p = lm.process("answer:", greedy).maxBatchRows(100)) {
        long calls = ctx.counters().modelCalls();
        List<LmHypothesis> hs = p.advance(p.start(101, ctx), ctx);
        assertThat(hs).allMatch(h -> h.generatedLength() == 1);
        assertThat(ctx.counters().modelCalls() - calls).as("prompt, then 100 rows and 1 row").isEqualTo(3);
      }
      assertThat(lm.session().ledger().stillOpen()).isZero();
    }
  }

  @Test
  void whatTheProcessAlreadyHoldsCountsSoSlicingCannotHideAGrowingState() {
    // Step 1 fits: slice 1 holds the prompt block and adds 100 * 7,920 = the limit; slice 2 adds one row. Step 2's
    // first slice would hold the prompt block (3,704), 100 rows of 8 positions (421,600) and 1 such row (4,216),
    // and add 100 rows of 9 positions and their logits (484,800): 914,320 bytes, past the limit of 795,704.
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"),
             ModelOptions.cpu().withBatchMemoryLimit(PROMPT_BLOCK + 100 * ROW));
         LmProcess p = lm.process("answer:", Decoding.greedy().withMaxNewTokens(60)).maxBatchRows(100)) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> hs = p.start(101, ctx);
      hs = p.advance(hs, ctx);
      assertThat(hs).allMatch(h -> h.generatedLength() == 1 && !h.isTerminal());
      List<LmHypothesis> live = hs;
      assertThatThrownBy(() -> p.advance(live, ctx))
          .hasMessageStartingWith("a model call for 100 rows at 9 positions (8 cached + 1 new) needs 914320 bytes")
          .hasMessageContaining("and 429520 bytes (0.4 MiB) this process holds for its hypotheses; more than this"
              + " model's batch memory limit of 795704 bytes");
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
