package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loading, searching with and closing a model again and again leaves nothing behind: every native value is closed
 * and, after the first cycle, no search allocates direct memory (a closed model's buffers serve the next model
 * instead of waiting for the garbage collector). Resident memory over 1,000 cycles is measured by
 * engine/scripts/rss-load-close.sh, not here.
 */
class LoadCloseCycleTest {

  @Test
  void cyclesAfterTheFirstAllocateNoDirectMemoryAndLeaveNothingOpen() {
    List<Long> allocated = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (int cycle = 0; cycle < 20; cycle++) {
      LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
      try (lm; LmProcess p = lm.process("answer:", Decoding.sampling().withMaxNewTokens(30))) {
        SearchContext ctx = SearchContext.builder().seed(9).build();
        List<LmHypothesis> hs = p.start(6, ctx);
        while (hs.stream().anyMatch(h -> !h.isTerminal())) {
          hs = p.advance(hs, ctx);
        }
        texts.add(p.text(hs.get(5)));
        allocated.add(p.allocatedBytes());
      }
      assertThat(lm.session().isClosed()).isTrue();
      assertThat(lm.tokenizer().isClosed()).isTrue();
      assertThat(lm.session().ledger().stillOpen()).isZero();
      assertThat(lm.openProcesses()).isZero();
      assertThat(lm.shelf().bytes()).as("a closed model holds no buffers").isZero();
    }
    assertThat(allocated.subList(1, allocated.size())).as("bytes each later cycle's search allocated").containsOnly(0L);
    assertThat(texts).as("reused buffers change nothing").containsOnly(texts.get(0));
    assertThat(BufferShelf.SPARE.bytes()).isPositive().isLessThanOrEqualTo(LanguageModel.IDLE_KV_BYTES);
  }
}
