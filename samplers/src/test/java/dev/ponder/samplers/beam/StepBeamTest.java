package dev.ponder.samplers.beam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchTrace;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import dev.ponder.samplers.Search;
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
    // Each round scores every live hypothesis once (one tree node each); beam keeps N/M = 2 open ones and forks
    // each to M = 4 (3 new lineages per expansion); DVTS keeps the best of each of its N/M = 2 subtrees.
    List<SearchTrace.Tree.Node> nodes = ((SearchTrace.Tree) r.trace()).nodes();
    // Every terminal hypothesis (ended by EOS or cut at the length limit) comes back before the live ones, best first.
    int terminal = (int) nodes.stream().filter(SearchTrace.Tree.Node::terminal).count();
    assertThat(r.candidates()).hasSizeGreaterThanOrEqualTo(terminal);
    assertThat(terminal).as("the search ended once N = 8 had finished").isGreaterThanOrEqualTo(8);
    List<Candidate> done = r.candidates().subList(0, terminal);
    assertThat(done).isSortedAccordingTo(java.util.Comparator.comparingDouble(Candidate::score).reversed());
    assertThat(r.candidates().subList(terminal, r.candidates().size())).noneMatch(Candidate::finished);
    long scores = events.stream().filter(e -> e instanceof SearchEvent.Score).count();
    assertThat(nodes).hasSize(1 + (int) scores);
    assertThat(events).filteredOn(e -> e instanceof SearchEvent.Expand)
        .allSatisfy(e -> assertThat(((SearchEvent.Expand) e).children()).hasSize(3));
    long prunes = events.stream().filter(e -> e instanceof SearchEvent.Prune).count();
    assertThat(nodes.stream().filter(SearchTrace.Tree.Node::pruned).count()).isEqualTo(prunes).isPositive();

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
