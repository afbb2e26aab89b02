package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * When a row finishes, the rows after it are moved down inside their KV block instead of being gathered into a
 * new one; the model sees exactly the same past either way.
 */
class KvCloseUpTest {
  private static LanguageModel lm;
  private static int eos;
  private static int[] plain;

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
    eos = lm.config().eosIds().iterator().next();
    plain = new int[8];
    for (int t = 0, k = 0; k < plain.length; t++) {
      if (!lm.config().eosIds().contains(t) && t != lm.config().padId()) {
        plain[k++] = t;
      }
    }
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  /** Four rows; the second one ends; the other three take two more tokens. Logits of the three after each call. */
  private static List<float[]> survivorLogits(LmProcess process, SearchContext ctx, boolean holdAnExtraFork) {
    List<LmHypothesis> rows = process.start(4, ctx);
    process.extend(rows, new int[] {plain[0], plain[1], plain[2], plain[3]}, ctx);
    LmHypothesis fork = holdAnExtraFork ? process.fork(rows.get(2), ctx) : null; // pins the block: no moving
    process.extend(rows, new int[] {plain[4], eos, plain[5], plain[6]}, ctx);
    List<LmHypothesis> survivors = List.of(rows.get(0), rows.get(2), rows.get(3));
    List<float[]> out = new ArrayList<>();
    survivors.forEach(h -> out.add(process.nextLogits(h)));
    process.extend(survivors, new int[] {plain[7], plain[7], plain[7]}, ctx);
    survivors.forEach(h -> out.add(process.nextLogits(h)));
    if (fork != null) {
      process.release(fork);
    }
    return out;
  }

  @Test
  void closingUpInPlaceFeedsTheModelExactlyWhatAGatherWould() {
    SearchContext inPlace = SearchContext.builder().seed(1).build();
    SearchContext gathered = SearchContext.builder().seed(1).build();
    try (LmProcess a = lm.process("answer:", Decoding.sampling());
        LmProcess b = lm.process("answer:", Decoding.sampling())) {
      List<float[]> moved = survivorLogits(a, inPlace, false);
      List<float[]> copied = survivorLogits(b, gathered, true);
      for (int i = 0; i < moved.size(); i++) {
        assertThat(moved.get(i)).as("logits %d", i).containsExactly(copied.get(i));
      }
      // a: the prompt's row copied into 4 (the only gather); then rows 2 and 3 move to 1 and 2.
      assertThat(a.diagnostics().gatheredRows()).isEqualTo(4);
      assertThat(a.diagnostics().movedRows()).isEqualTo(2);
      assertThat(a.diagnostics().reusedCalls()).isEqualTo(2);
      // b: the extra fork still points at the 4-row block, so the three survivors are gathered instead.
      assertThat(b.diagnostics().gatheredRows()).isEqualTo(4 + 3);
      assertThat(b.diagnostics().movedRows()).isZero();
      assertThat(b.diagnostics().reusedCalls()).isEqualTo(1);
      assertThat(inPlace.counters().modelCalls()).isEqualTo(gathered.counters().modelCalls()).isEqualTo(4);
      assertThat(inPlace.counters().paddingTokens()).as("the finished row takes no row in the call").isZero();
    }
  }

  @Test
  void rowsOutOfOrderAreGatheredNotMoved() {
    SearchContext ctx = SearchContext.builder().seed(2).build();
    try (LmProcess process = lm.process("answer:", Decoding.sampling())) {
      List<LmHypothesis> rows = process.start(3, ctx);
      process.extend(rows, new int[] {plain[0], plain[1], plain[2]}, ctx);
      List<LmHypothesis> reversed = List.of(rows.get(2), rows.get(1), rows.get(0));
      process.extend(reversed, new int[] {plain[3], plain[3], plain[3]}, ctx);
      assertThat(process.diagnostics().movedRows()).isZero();
      assertThat(process.diagnostics().gatheredRows()).isEqualTo(3 + 3);
    }
  }

  @Test
  void aTerminalHypothesisLetsGoOfItsKvRow() {
    SearchContext ctx = SearchContext.builder().seed(3).build();
    try (LmProcess process = lm.process("answer:", Decoding.sampling())) {
      List<LmHypothesis> rows = process.start(2, ctx);
      process.extend(rows, new int[] {eos, plain[0]}, ctx);
      assertThat(rows.get(0).isFinished()).isTrue();
      assertThatThrownBy(() -> process.nextLogits(rows.get(0))).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("hypothesis 0 is terminal: it has no next-token logits");
      // The prompt's block (kept by the process) and the one-row block of the hypothesis still decoding.
      assertThat(process.diagnostics().liveBlocks()).isEqualTo(2);
      // The one live row was the prompt block's only row: fed back as it was, nothing copied.
      assertThat(process.diagnostics().gatheredRows()).isZero();
      assertThat(process.diagnostics().reusedCalls()).isEqualTo(1);
      assertThat(ctx.counters().modelCalls()).isEqualTo(2);
    }
  }
}
