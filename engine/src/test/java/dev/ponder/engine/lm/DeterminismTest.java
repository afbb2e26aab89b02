package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A seed fixes the tokens, whatever the batch: draws are keyed by (seed, lineage, token index, purpose). */
class DeterminismTest {
  private static LanguageModel lm;
  private static final Decoding DECODING = Decoding.sampling().withMaxNewTokens(20);

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  @Test
  void eightSamplesInOneBatchEqualOneAtATimeAndBatchesOfThree() {
    List<List<Integer>> oneBatch = sampleInBatches(8, 8, 42);
    List<List<Integer>> single = sampleInBatches(8, 1, 42);
    List<List<Integer>> threes = sampleInBatches(8, 3, 42);

    assertThat(oneBatch).hasSize(8);
    assertThat(single).isEqualTo(oneBatch);
    assertThat(threes).isEqualTo(oneBatch);
    // The samples are not all the same: the test would catch a stream shared by every row.
    assertThat(oneBatch.stream().distinct().count()).isGreaterThan(1);
  }

  @Test
  void anotherSeedGivesOtherTokens() {
    assertThat(sampleInBatches(8, 8, 43)).isNotEqualTo(sampleInBatches(8, 8, 42));
  }

  private static List<List<Integer>> sampleInBatches(int total, int batch, long seed) {
    SearchContext ctx = SearchContext.builder().seed(seed).build();
    List<List<Integer>> out = new ArrayList<>();
    try (LmProcess process = lm.process("12 + 7 = ", DECODING)) {
      for (int done = 0; done < total; done += batch) {
        List<LmHypothesis> live = process.start(Math.min(batch, total - done), ctx);
        while (live.stream().anyMatch(h -> !h.isTerminal())) {
          live = process.advance(live, ctx);
        }
        for (LmHypothesis h : live) {
          List<Integer> tokens = new ArrayList<>();
          for (int t : h.generatedTokens()) {
            tokens.add(t);
          }
          out.add(tokens);
          process.release(h);
        }
      }
    }
    return out;
  }
}
