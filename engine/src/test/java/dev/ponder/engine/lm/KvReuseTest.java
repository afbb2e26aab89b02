package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The counters prove that nothing is re-processed and that unchanged batches reuse the KV cache in place; and a
 * process starts with the KV buffers the model's previous process left behind.
 */
class KvReuseTest {
  private static LanguageModel lm;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  @Test
  void promptIsProcessedOnceAndEachGeneratedTokenOnce() {
    SearchContext ctx = SearchContext.builder().seed(1).build();
    try (LmProcess process = lm.process("answer:", Decoding.sampling().withMaxNewTokens(12))) {
      List<LmHypothesis> live = process.start(4, ctx);
      while (live.stream().anyMatch(h -> !h.isTerminal())) {
        live = process.advance(live, ctx); // the terminal ones sit out without changing the batch
      }
      int prompt = process.promptLength();
      long generated = live.stream().mapToLong(LmHypothesis::generatedLength).sum();
      // Every generated token but each hypothesis's last (which ends it) is fed once; the prompt once in all.
      assertThat(ctx.counters().promptTokens()).isEqualTo(prompt);
      assertThat(ctx.counters().generatedTokens()).isEqualTo(generated);
      assertThat(ctx.counters().policyTokens()).isEqualTo(prompt + generated - 4);
      // Forking the prompt's row into 4 is the only copy; every later step fed the outputs straight back.
      assertThat(process.diagnostics().gatheredRows()).isEqualTo(4);
      assertThat(process.diagnostics().reusedCalls()).isEqualTo(ctx.counters().modelCalls() - 2);
    }
  }

  @Test
  void forksShareTheirPrefixAndDecodeOnlyNewTokens() {
    SearchContext ctx = SearchContext.builder().seed(3).build();
    try (LmProcess process = lm.process("7 *", Decoding.sampling().withMaxNewTokens(30))) {
      LmHypothesis root = process.start(1, ctx).get(0);
      root = process.advance(List.of(root), ctx).get(0);
      root = process.advance(List.of(root), ctx).get(0);
      long before = ctx.counters().policyTokens();
      List<LmHypothesis> children = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        children.add(process.fork(root, ctx));
      }
      children = process.advance(children, ctx);
      // Three children, one new token each: the shared prefix is not read again.
      assertThat(ctx.counters().policyTokens() - before).isEqualTo(3);
      assertThat(children).extracting(LmHypothesis::generatedLength).containsOnly(3);
      assertThat(children.stream().map(h -> h.allTokens()[2 + process.promptLength() - 1]).distinct().count())
          .as("all children share the parent's tokens").isEqualTo(1);
      process.release(root);
      children.forEach(process::release);
      assertThat(process.diagnostics().liveBlocks()).as("only the prompt's state is kept after releasing everything").isEqualTo(1);
    }
  }

  @Test
  void stepEndsAtStopStringOrTokenLimit() {
    SearchContext ctx = SearchContext.builder().seed(5).build();
    Decoding perStep = Decoding.sampling().withMaxNewTokens(40).withBoundary(StepBoundary.stopAt(4, " "));
    try (LmProcess process = lm.process("12 + ", perStep)) {
      List<LmHypothesis> live = process.start(6, ctx);
      live = process.advance(live, ctx);
      for (LmHypothesis h : live) {
        String text = process.text(h);
        boolean endedBySpace = text.endsWith(" ") && text.indexOf(' ') == text.length() - 1;
        assertThat(h.generatedLength() == 4 || endedBySpace || h.isFinished())
            .as("step text '%s' ends at the first space, at 4 tokens or at EOS", text).isTrue();
        assertThat(h.generatedLength()).isBetween(1, 4);
        assertThat(h.steps()).isEqualTo(1);
      }
    }
  }

  @Test
  void aCallbackCanEndTheStep() {
    SearchContext ctx = SearchContext.builder().seed(6).build();
    // End each step once it holds two characters (the token limit alone would allow 10).
    StepBoundary twoChars = StepBoundary.tokens(10).withCallback((h, stepText) -> stepText.length() >= 2);
    try (LmProcess process = lm.process("answer:", Decoding.sampling().withMaxNewTokens(40).withBoundary(twoChars))) {
      List<LmHypothesis> live = process.advance(process.start(5, ctx), ctx);
      for (LmHypothesis h : live) {
        assertThat(h.isFinished() || h.generatedLength() == 2).as("step of %s", h).isTrue();
      }
      assertThat(live.stream().filter(h -> h.generatedLength() == 2)).isNotEmpty();
    }
  }

  // A process starts with the KV buffers the model's previous process left behind; reusing them changes nothing.

  /** Eight sampled hypotheses for 12 tokens; returns their texts and the process's native allocation. */
  private static List<String> sample(long[] allocated) {
    SearchContext ctx = SearchContext.builder().seed(5).build();
    try (LmProcess p = lm.process("answer:", Decoding.sampling().withMaxNewTokens(12))) {
      List<LmHypothesis> live = p.start(8, ctx);
      while (live.stream().anyMatch(h -> !h.isTerminal())) {
        live = p.advance(live, ctx);
      }
      List<String> texts = new ArrayList<>();
      live.forEach(h -> texts.add(p.text(h)));
      allocated[0] = p.allocatedBytes();
      return texts;
    }
  }

  @Test
  void theSecondSearchAllocatesNoNativeMemoryAndSamplesTheSameTexts() {
    lm.shelf().clear();
    long[] first = new long[1];
    long[] second = new long[1];
    List<String> a = sample(first);
    assertThat(lm.shelf().bytes()).as("the closed process's buffers wait on the shelf").isPositive();
    List<String> b = sample(second);
    assertThat(first[0]).isPositive();
    assertThat(second[0]).as("bytes the second search allocated").isZero();
    assertThat(b).containsExactlyElementsOf(a);
  }

  @Test
  void aClosedProcessHasNoLogitsBecauseItsBuffersMayServeAnotherSearch() {
    SearchContext ctx = SearchContext.builder().seed(1).build();
    LmProcess p = lm.process("answer:", Decoding.sampling());
    LmHypothesis h = p.start(1, ctx).get(0);
    assertThat(p.nextLogits(h)).hasSize(lm.config().vocab());
    p.close();
    assertThatThrownBy(() -> p.nextLogits(h)).isInstanceOf(IllegalStateException.class)
        .hasMessage("this process is closed");
  }

  @Test
  void theShelfKeepsTheLargestBuffersUpToItsCapAndHandsThemOutOnce() {
    BufferShelf shelf = new BufferShelf(100);
    shelf.putBack(List.of(ByteBuffer.allocateDirect(30), ByteBuffer.allocateDirect(60), ByteBuffer.allocateDirect(50)));
    assertThat(shelf.bytes()).isEqualTo(90); // 60 + 30: the 50 would pass the cap after the 60
    assertThat(shelf.take(1)).extracting(ByteBuffer::capacity).containsExactly(60); // the rest stay
    assertThat(shelf.bytes()).isEqualTo(30);
    shelf.putBack(List.of(ByteBuffer.allocateDirect(60)));
    List<ByteBuffer> taken = shelf.take(Integer.MAX_VALUE);
    assertThat(taken).extracting(ByteBuffer::capacity).containsExactly(60, 30);
    assertThat(shelf.bytes()).isZero();
    assertThat(shelf.take(Integer.MAX_VALUE)).isEmpty();
    shelf.close();
    shelf.putBack(List.of(ByteBuffer.allocateDirect(10)));
    assertThat(shelf.bytes()).as("a closed shelf keeps nothing").isZero();
    assertThatThrownBy(() -> new BufferShelf(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBytes must be >= 0, was -1");
  }

  @Test
  void aFullPoolKeepsItsLargestIdleBuffers() {
    BufferShelf shelf = new BufferShelf(1L << 30);
    FloatPool pool = new FloatPool(shelf);
    List<FloatPool.Lease> small = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      small.add(pool.acquire(10 + i)); // 64 buffers, the smallest holds 10 floats
    }
    small.forEach(pool::release);
    FloatPool.Lease big = pool.acquire(10_000);
    FloatPool.Lease tiny = new FloatPool().acquire(1);
    pool.release(big); // full: the large buffer takes the smallest one's place
    pool.release(tiny); // full, and smaller than every idle buffer: dropped
    pool.clear();
    List<ByteBuffer> kept = shelf.take(Integer.MAX_VALUE);
    assertThat(kept).hasSize(64);
    assertThat(kept.get(0)).isSameAs(big.backing);
    assertThat(kept).doesNotContain(tiny.backing, small.get(0).backing);
    assertThat(pool.allocatedBytes()).isEqualTo(kept.stream().mapToLong(ByteBuffer::capacity).sum()
        + small.get(0).backing.capacity());
  }
}
