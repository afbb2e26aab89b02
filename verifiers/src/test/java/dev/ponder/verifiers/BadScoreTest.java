package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifier.Normalization;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.Verifiers.VerifierCache;
import dev.ponder.verifiers.internal.Scores;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BadScoreTest {
  private final SearchContext ctx = SearchContext.builder().build();
  /** Scores "nan", "inf", "-inf" badly and anything else by its length. */
  private final Verifier broken = Verifiers.ofText("broken", t -> switch (t) {
    case "nan" -> Double.NaN;
    case "inf" -> Double.POSITIVE_INFINITY;
    case "-inf" -> Double.NEGATIVE_INFINITY;
    default -> t.length();
  });

  private static List<VerifierInput> texts(String... t) {
    return java.util.Arrays.stream(t).map(x -> VerifierInput.of("P", x)).toList();
  }

  @Test
  void everyConsumerRejectsNamingVerifierAndInput() {
    for (Verifier consumer : List.of(Verifiers.mean(List.of(broken)), Verifiers.min(List.of(broken)),
        Verifiers.rankSum(List.of(broken)), Verifiers.normalized(broken, Normalization.RANK),
        VerifierCache.create(10).wrap(broken))) {
      assertThatThrownBy(() -> consumer.score(texts("ok", "nan"), ctx)).as(consumer.name())
          .isInstanceOf(BadScoreException.class)
          .hasMessageStartingWith("verifier 'broken' scored NaN for prompt \"P\", text \"nan\"; scores must be finite.")
          .hasMessageContaining("Verifiers.withBadScorePolicy");
    }
    BadScoreException e = (BadScoreException) org.assertj.core.api.Assertions.catchThrowable(
        () -> Scores.checked(broken, texts("-inf"), ctx));
    assertThat(e.verifier()).isEqualTo("broken");
    assertThat(e.input()).isEqualTo(VerifierInput.of("P", "-inf"));
    assertThat(e.value()).isEqualTo(Double.NEGATIVE_INFINITY);
  }

  @Test
  void explicitPolicyMapsReportsAndCounts() {
    List<BadScorePolicy.BadScore> reported = new ArrayList<>();
    BadScorePolicy policy = BadScorePolicy.mapping().nanTo(-1).negativeInfinityTo(-2).onBadScore(reported::add).build();
    Verifier safe = Verifiers.withBadScorePolicy(broken, policy);
    assertThat(safe.score(texts("ab", "nan", "-inf", "nan"), ctx)).containsExactly(2.0, -1.0, -2.0, -1.0);
    assertThat(policy.mappedCount()).isEqualTo(3);
    assertThat(reported).containsExactly(new BadScorePolicy.BadScore("broken", VerifierInput.of("P", "nan"), Double.NaN, -1),
        new BadScorePolicy.BadScore("broken", VerifierInput.of("P", "-inf"), Double.NEGATIVE_INFINITY, -2),
        new BadScorePolicy.BadScore("broken", VerifierInput.of("P", "nan"), Double.NaN, -1));
    // +Infinity was not named, so it is still rejected
    assertThatThrownBy(() -> safe.score(texts("inf"), ctx)).isInstanceOf(BadScoreException.class)
        .hasMessageContaining("scored Infinity");
    // mapped scores flow through consumers
    assertThat(Verifiers.mean(List.of(safe)).score(texts("nan"), ctx)).containsExactly(-1.0);
    assertThat(safe.name()).isEqualTo("broken");
  }

  @Test
  void mappedScoresAreReportedInTheSearchEvents() {
    List<dev.ponder.engine.SearchEvent> events = new ArrayList<>();
    SearchContext traced = SearchContext.builder().listener(events::add).build();
    Verifier safe = Verifiers.withBadScorePolicy(broken, BadScorePolicy.mapping().nanTo(0).build());
    assertThat(safe.score(texts("ab", "nan"), traced)).containsExactly(2.0, 0.0);
    assertThat(events).containsExactly(new dev.ponder.engine.SearchEvent.BadScore("broken",
        VerifierInput.of("P", "nan").describe(), Double.NaN, 0.0));
  }

  @Test
  void policyBuilderValidates() {
    assertThatThrownBy(() -> BadScorePolicy.mapping().build()).hasMessageContaining("needs at least one of nanTo");
    assertThatThrownBy(() -> BadScorePolicy.mapping().nanTo(Double.NaN))
        .hasMessage("nanTo must be a finite replacement score, was NaN");
    assertThatThrownBy(() -> BadScorePolicy.mapping().nanTo(0).nanTo(1)).hasMessage("nanTo was already set to 0.0");
    assertThat(BadScorePolicy.reject().toString()).isEqualTo("BadScorePolicy.reject()");
    assertThatThrownBy(() -> Verifiers.withBadScorePolicy(broken, BadScorePolicy.reject()).score(texts("nan"), ctx))
        .isInstanceOf(BadScoreException.class);
  }

  @Test
  void wrongScoreCountIsAnError() {
    Verifier shortv = new Verifier() {
      @Override
      public String name() {
        return "short";
      }

      @Override
      public double[] score(List<VerifierInput> inputs, SearchContext c) {
        return new double[] {1};
      }
    };
    assertThatThrownBy(() -> Verifiers.mean(List.of(shortv)).score(texts("a", "b"), ctx))
        .hasMessage("verifier 'short' returned 1 scores for 2 inputs; a verifier must return exactly one score per"
            + " input, in order");
  }
}
