package dev.ponder.verifiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.Budget;
import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.BadScorePolicy.BadScoreException;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.internal.Scores;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A slow per-text verifier under a deadline stops between texts: the deadline is overshot by one text at most. */
class DeadlineInScoringTest {
  private static final List<VerifierInput> EIGHT = java.util.stream.IntStream.range(0, 8)
      .mapToObj(i -> VerifierInput.of("Q: ", "text " + i)).toList();

  @Test
  void aVerifierThatTakes300MsPerTextUnderA50MsDeadlineScoresOneTextAndLeavesTheRestUnscored() {
    AtomicLong now = new AtomicLong();
    AtomicInteger calls = new AtomicInteger();
    Verifier slow = Verifiers.ofText("slow", t -> {
      calls.incrementAndGet();
      now.addAndGet(Duration.ofMillis(300).toNanos()); // the fake clock: each text takes 300 ms
      return t.length();
    });
    SearchContext ctx = SearchContext.builder().budget(Budget.deadlineOf(Duration.ofMillis(50)))
        .nanoClock(now::get).build();

    double[] scores = Scores.checked(slow, EIGHT, ctx);

    assertThat(calls).hasValue(1);
    assertThat(scores[0]).isEqualTo(6.0);
    assertThat(java.util.Arrays.stream(scores, 1, 8)).allMatch(s -> Double.isNaN(s));
    assertThat(ctx.stats().verifierCalls()).isEqualTo(1);
  }

  @Test
  void aTokenLimitDoesNotCutAListThatIsBeingScored() {
    AtomicInteger calls = new AtomicInteger();
    Verifier counting = Verifiers.ofText("counting", t -> calls.incrementAndGet());
    SearchContext ctx = SearchContext.builder().budget(Budget.tokens(10)).build();
    ctx.counters().addPolicyTokens(10);
    assertThat(Scores.checked(counting, EIGHT, ctx)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
  }

  @Test
  void aNanFromAVerifierWhileTheSearchGoesOnIsStillABadScore() {
    Verifier nan = Verifiers.ofText("nan", t -> Double.NaN);
    assertThatThrownBy(() -> Scores.checked(nan, EIGHT, SearchContext.builder().build()))
        .isInstanceOf(BadScoreException.class);
  }
}
