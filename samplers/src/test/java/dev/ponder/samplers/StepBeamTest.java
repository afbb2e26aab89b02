package dev.ponder.samplers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StepBeamTest {
  private static LanguageModel lm;
  /** A stand-in PRM: prefers texts with many digits. */
  private static final ProcessScorer<LmHypothesis> DIGITS = (hs, ctx) -> {
    ctx.counters().addVerifierCalls(1);
    return hs.stream().mapToDouble(h -> h.text().chars().filter(Character::isDigit).count()
        / (1.0 + h.text().length())).toArray();
  };
  private static final Decoding STEPS = Decoding.sampling().withMaxNewTokens(24).withBoundary(StepBoundary.stopAt(6, " "));

  @BeforeAll
  static void load() {
    lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
  }

  @AfterAll
  static void close() {
    lm.close();
  }

  @ParameterizedTest(name = "dvts={0}")
  @ValueSource(booleans = {false, true})
  void keepsNLiveProcessesEachTokenOnceAndRanksByScore(boolean dvts) {
    List<SearchEvent> events = new ArrayList<>();
    StepBeamSearch<LmHypothesis> search = (dvts ? Search.dvts(lm, DIGITS) : Search.stepBeam(lm, DIGITS))
        .n(8).m(4).maxSteps(10).decoding(STEPS).seed(21).listener(events::add);
    SearchResult r = search.run("12 + ");

    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Step)
        .allSatisfy(e -> assertThat(((SearchEvent.Step) e).live()).isBetween(1, 8));
    long finishes = events.stream().filter(e -> e instanceof SearchEvent.Finish).count();
    // No re-prefill: the prompt once, then every sampled token once, except the token that ends each
    // finished hypothesis (never fed back). Forks share everything before their fork point.
    assertThat(r.stats().policyTokens()).isEqualTo(r.stats().promptTokens() + r.stats().generatedTokens() - finishes);
    assertThat(r.stats().verifierCalls()).isEqualTo(events.stream().filter(e -> e instanceof SearchEvent.Step).count());
    assertThat(r.candidates()).isNotEmpty();
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Prune).isNotEmpty();
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Expand).isNotEmpty();

    SearchResult again = (dvts ? Search.dvts(lm, DIGITS) : Search.stepBeam(lm, DIGITS))
        .n(8).m(4).maxSteps(10).decoding(STEPS).seed(21).run("12 + ");
    assertThat(again.candidates()).isEqualTo(r.candidates());
  }

  @ParameterizedTest(name = "m={0}")
  @ValueSource(ints = {3})
  void nMustBeAMultipleOfM(int m) {
    assertThatThrownBy(() -> Search.stepBeam(lm, DIGITS).n(8).m(m).run("12 + "))
        .hasMessageContaining("n must be a multiple of m, was n=8, m=3; e.g. n=9");
  }
}
