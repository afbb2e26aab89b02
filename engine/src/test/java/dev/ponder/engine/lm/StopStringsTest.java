package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stop strings end a hypothesis while it is generated, as end of sequence does, with the same draws before it. */
class StopStringsTest {
  private static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";

  private static List<LmHypothesis> run(LanguageModel lm, Decoding decoding, SearchContext ctx) {
    try (LmProcess p = lm.process(PROMPT, decoding)) {
      List<LmHypothesis> live = p.start(6, ctx);
      List<LmHypothesis> all = new ArrayList<>(live);
      while (live.stream().anyMatch(h -> !h.isTerminal())) {
        live = p.advance(live, ctx);
      }
      return all;
    }
  }

  @Test
  void aStopStringFinishesEachSampleAtItsFirstOccurrenceWithTheSameTokensBefore() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("countdown/policy"))) {
      Decoding decoding = Decoding.sampling().withMaxNewTokens(72);
      SearchContext free = SearchContext.builder().seed(4).build();
      SearchContext stopped = SearchContext.builder().seed(4).build();
      List<LmHypothesis> whole = run(lm, decoding, free);
      List<LmHypothesis> cut = run(lm, decoding.withStop(List.of("\n")), stopped);
      int cutsMade = 0;
      for (int i = 0; i < whole.size(); i++) {
        String full = whole.get(i).text();
        String part = cut.get(i).text();
        int at = full.indexOf('\n');
        if (at >= 0) {
          assertThat(part).isEqualTo(full.substring(0, at + 1));
          assertThat(cut.get(i).isFinished()).isTrue();
          cutsMade++;
        } else {
          assertThat(part).isEqualTo(full);
        }
      }
      assertThat(cutsMade).as("samples with a newline to stop at").isGreaterThan(0);
      assertThat(stopped.counters().generatedTokens()).isLessThan(free.counters().generatedTokens());
    }
  }

  @Test
  void aStopThatNeverAppearsChangesNothingAndEmptyStopsAreRefused() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("countdown/policy"))) {
      Decoding decoding = Decoding.sampling().withMaxNewTokens(40);
      List<LmHypothesis> plain = run(lm, decoding, SearchContext.builder().seed(9).build());
      List<LmHypothesis> withStop = run(lm, decoding.withStop(List.of("@@")), SearchContext.builder().seed(9).build());
      assertThat(withStop).extracting(LmHypothesis::text).containsExactlyElementsOf(
          plain.stream().map(LmHypothesis::text).toList());
    }
    assertThatThrownBy(() -> Decoding.sampling().withStop(List.of("a", "")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stop strings must not be empty");
  }
}
