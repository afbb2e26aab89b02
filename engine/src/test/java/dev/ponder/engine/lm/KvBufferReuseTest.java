package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A process starts with the KV buffers the model's previous process left behind, and reusing them changes nothing. */
class KvBufferReuseTest {
  private static LanguageModel lm;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

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
    List<ByteBuffer> taken = shelf.takeAll();
    assertThat(taken).extracting(ByteBuffer::capacity).containsExactly(60, 30);
    assertThat(shelf.bytes()).isZero();
    assertThat(shelf.takeAll()).isEmpty();
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
    List<ByteBuffer> kept = shelf.takeAll();
    assertThat(kept).hasSize(64);
    assertThat(kept.get(0)).isSameAs(big.backing);
    assertThat(kept).doesNotContain(tiny.backing, small.get(0).backing);
    assertThat(pool.allocatedBytes()).isEqualTo(kept.stream().mapToLong(ByteBuffer::capacity).sum()
        + small.get(0).backing.capacity());
  }
}
