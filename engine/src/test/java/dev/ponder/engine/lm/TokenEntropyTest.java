package dev.ponder.engine.lm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.testing.Zoo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every sampled or greedy token adds its distribution's entropy; forks keep it; the confidence scorer reads it. */
class TokenEntropyTest {

  @Test
  void meanTokenEntropyIsTrackedCopiedByForksAndScoredAsConfidence() {
    try (LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
         LmProcess p = lm.process("12 + ", Decoding.sampling().withMaxNewTokens(6))) {
      SearchContext ctx = SearchContext.builder().seed(3).build();
      List<LmHypothesis> hs = p.start(2, ctx);
      assertThat(hs.get(0).meanTokenEntropy()).as("before any token").isNaN();
      p.advance(hs, ctx);
      double h0 = hs.get(0).meanTokenEntropy();
      // tiny-gpt2 has 30 tokens: an entropy is in [0, ln 30]
      assertThat(h0).isBetween(0.0, Math.log(30));
      LmHypothesis fork = p.fork(hs.get(0), ctx);
      assertThat(fork.meanTokenEntropy()).isEqualTo(h0);
      double[] scores = LmHypothesis.byConfidence().score(hs, ctx);
      assertThat(scores).containsExactly(-hs.get(0).meanTokenEntropy(), -hs.get(1).meanTokenEntropy());
      assertThat(ctx.counters().verifierCalls()).isZero();
      p.release(fork);
      hs.forEach(p::release);
    }
  }
}
