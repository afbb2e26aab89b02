package dev.ponder.samplers.bestofn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchResult.Outcome;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SampleSearchTest {
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
  void samplesAreRankedByLogProbabilityAndCounted() {
    List<SearchEvent> events = new ArrayList<>();
    SearchResult r = Search.sample(lm).samples(5).seed(9).decoding(Decoding.sampling().withMaxNewTokens(10))
        .listener(events::add).run("12 + ");
    assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
    assertThat(r.candidates()).hasSize(5);
    assertThat(r.candidates()).extracting(Candidate::logProb).isSortedAccordingTo((a, b) -> Double.compare(b, a));
    assertThat(r.stats().promptTokens()).isEqualTo(5);
    assertThat(r.stats().generatedTokens()).isEqualTo(r.candidates().stream().mapToInt(Candidate::tokens).sum());
    assertThat(events).last().isInstanceOf(SearchEvent.Done.class);
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Finish).hasSize(5);
    // Same seed, same answer.
    SearchResult again = Search.sample(lm).samples(5).seed(9).decoding(Decoding.sampling().withMaxNewTokens(10)).run("12 + ");
    assertThat(again.candidates()).isEqualTo(r.candidates());
  }

  @Test
  void budgetStopsTheSearchAndSaysWhich() {
    SearchResult r = Search.sample(lm).samples(4).seed(1).decoding(Decoding.sampling().withMaxNewTokens(50))
        .budget(Budget.modelCalls(3)).run("answer:");
    assertThat(r.outcome()).isEqualTo(Outcome.BUDGET_EXHAUSTED);
    assertThat(r.stopReason().describe()).isEqualTo("model calls 3 >= 3");
    assertThat(r.stats().modelCalls()).isEqualTo(3);
    assertThat(r.candidates()).hasSize(4);
  }

  @Test
  void builderRejectsBadValues() {
    assertThatThrownBy(() -> Search.sample(lm).samples(0)).hasMessageContaining("samples must be >= 1, was 0");
  }
}
