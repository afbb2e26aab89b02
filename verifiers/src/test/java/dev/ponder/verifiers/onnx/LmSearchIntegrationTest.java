package dev.ponder.verifiers.onnx;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.testing.Zoo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The verifiers as the engine's scorers over real hypotheses of the Countdown policy (skipped until
 * onnx-models/countdown/policy is built).
 */
class LmSearchIntegrationTest {
  private static final String PROMPT = "numbers: 6 14 18 20 target: 32\n";
  private static LanguageModel policy;

  @BeforeAll
  static void load() {
    java.nio.file.Path dir = Zoo.root().resolve("onnx-models/countdown/policy");
    assumeTrue(java.nio.file.Files.isRegularFile(dir.resolve("model.onnx")), "not built yet: " + dir);
    policy = LanguageModel.load(dir);
  }

  @AfterAll
  static void close() {
    if (policy != null) {
      policy.close();
    }
  }

  /**
   * A step-level beam (4 wide, keep 2, 2 children each) scored by the incremental PRM: its verifier tokens equal the
   * distinct tokens of the step tree it scored, while the plain export pays for every prefix again.
   */
  @Test
  void incrementalPrmOverAStepBeamCountsDistinctTokensOnly() {
    Decoding steps = Decoding.sampling().withBoundary(StepBoundary.stopAt(24, "\n"));
    try (OnnxProcessReward cached = OnnxProcessReward.load(Fixtures.dir("prm-cached"));
         OnnxProcessReward plain = OnnxProcessReward.load(Fixtures.dir("prm"));
         LmProcess p = policy.process(PROMPT, steps)) {
      SearchContext search = SearchContext.builder().seed(5).build();
      SearchContext c = SearchContext.builder().build();
      SearchContext u = SearchContext.builder().build();
      ProcessScorer<LmHypothesis> incremental = cached.asProcessScorer();
      ProcessScorer<LmHypothesis> full = plain.asProcessScorer();
      Map<String, Integer> stepTree = new HashMap<>();
      long sumOfPrefixes = 0;
      List<LmHypothesis> live = p.start(4, search);
      for (int round = 0; round < 4 && !live.isEmpty(); round++) {
        live = p.advance(live, search);
        double[] a = incremental.score(live, c);
        double[] b = full.score(live, u);
        for (int i = 0; i < a.length; i++) {
          assertThat(a[i]).isCloseTo(b[i], within(1e-4));
          sumOfPrefixes += addSteps(live.get(i).text(), stepTree);
        }
        List<LmHypothesis> ranked = new ArrayList<>(live);
        List<Integer> order = IntStream.range(0, a.length).boxed()
            .sorted(Comparator.comparingDouble((Integer i) -> -a[i])).toList();
        List<LmHypothesis> next = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
          LmHypothesis h = ranked.get(order.get(k));
          if (k < 2 && !h.isTerminal()) {
            next.add(p.fork(h, search));
            next.add(p.fork(h, search));
          }
          p.release(h);
        }
        live = next;
      }
      live.forEach(p::release);
      long distinct = stepTree.values().stream().mapToLong(Integer::longValue).sum();
      assertThat(c.counters().verifierTokens()).isEqualTo(distinct);
      assertThat(u.counters().verifierTokens()).isEqualTo(sumOfPrefixes);
      assertThat(distinct).isLessThan(sumOfPrefixes / 2);
    }
  }

  /** Adds the step prefixes of one hypothesis (character-level tokens) to the tree; returns its scored length. */
  private static int addSteps(String text, Map<String, Integer> tree) {
    int last = text.lastIndexOf('\n');
    String scored = PROMPT + (last < 0 ? "" : text.substring(0, last + 1));
    int from = 0;
    int end = PROMPT.length();
    while (true) {
      tree.put(scored.substring(0, end), end - from);
      if (end == scored.length()) {
        return scored.length();
      }
      from = end;
      end = scored.indexOf('\n', end) + 1;
    }
  }
}
