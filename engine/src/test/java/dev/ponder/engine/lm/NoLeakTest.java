package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every tensor and result the engine opens is closed: 1,000 decode steps leave no native value open. */
class NoLeakTest {

  @Test
  void thousandDecodeStepsLeaveNothingOpen() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"))) {
      SearchContext ctx = SearchContext.builder().seed(11).build();
      int round = 0;
      while (ctx.counters().modelCalls() < 1_000) {
        try (LmProcess process = lm.process("answer:", Decoding.sampling().withMaxNewTokens(50))) {
          List<LmHypothesis> live = process.start(3 + round % 4, ctx);
          while (live.stream().anyMatch(h -> !h.isTerminal()) && ctx.counters().modelCalls() < 1_000) {
            // Drop finished hypotheses each step, so batches also shrink and get regathered.
            live.stream().filter(LmHypothesis::isTerminal).forEach(process::release);
            live = process.advance(live.stream().filter(h -> !h.isTerminal()).toList(), ctx);
          }
          live.forEach(process::release);
          assertThat(process.diagnostics().liveBlocks()).isEqualTo(1); // only the prompt's state, freed on close
        }
        round++;
      }
      assertThat(ctx.counters().modelCalls()).isEqualTo(1_000);
      // Per call: input_ids, attention_mask, position_ids, 4 past + 4 present + logits tensors, and the result.
      assertThat(lm.session().ledger().openedCount()).isGreaterThanOrEqualTo(1_000L * 13);
      assertThat(lm.session().ledger().stillOpen()).isZero();
    }
  }
}
